#!/usr/bin/env node
// Copies the non-TypeScript files the compiled package reads at run time into dist/, at the
// same relative paths tsc uses (rootDir is the project root, so src/x.ts -> dist/src/x.js):
//   src/store/*/migrations/*.sql    -> dist/src/store/*/migrations/*.sql
//   examples/**/documents/*.txt     -> dist/examples/**/documents/*.txt
// Run after tsc (see "build" in package.json). Idempotent, no dependencies, silent on success.

import { copyFileSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = path.join(root, "dist");

const dirs = (dir) =>
  existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isDirectory() && e.name !== "node_modules")
        .map((e) => path.join(dir, e.name))
    : [];
const filesEndingWith = (dir, ext) =>
  existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isFile() && e.name.endsWith(ext))
        .map((e) => path.join(dir, e.name))
    : [];

function copyToDist(file) {
  const target = path.join(dist, path.relative(root, file));
  mkdirSync(path.dirname(target), { recursive: true });
  copyFileSync(file, target);
}

// Every folder under `dir` (itself included) at any depth.
function walk(dir) {
  return [dir, ...dirs(dir).flatMap(walk)];
}

try {
  const assets = [
    ...dirs(path.join(root, "src", "store")).flatMap((backend) =>
      filesEndingWith(path.join(backend, "migrations"), ".sql"),
    ),
    ...walk(path.join(root, "examples"))
      .filter((dir) => path.basename(dir) === "documents")
      .flatMap((dir) => filesEndingWith(dir, ".txt")),
  ];
  for (const file of assets) copyToDist(file);
} catch (err) {
  console.error(`copy-assets: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
