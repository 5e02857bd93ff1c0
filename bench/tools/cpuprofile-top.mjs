#!/usr/bin/env node
// Summarises a V8 .cpuprofile (from `node --cpu-prof`): top functions by self time.
// usage: node bench/tools/cpuprofile-top.mjs <file-or-folder> [count=25]
// A folder: its newest .cpuprofile. Paths are shown relative to the repository.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { rootDir } from "../lib/common.mjs";

const [target, countArg] = process.argv.slice(2);
if (!target) {
  process.stderr.write(
    "usage: node bench/tools/cpuprofile-top.mjs <file.cpuprofile | folder> [count]\n",
  );
  process.exit(64);
}
let file = target;
if (statSync(target).isDirectory()) {
  const files = readdirSync(target)
    .filter((f) => f.endsWith(".cpuprofile"))
    .map((f) => join(target, f));
  if (files.length === 0) throw new Error(`no .cpuprofile in ${target}`);
  file = files.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
}
const profile = JSON.parse(readFileSync(file, "utf8"));
const count = Number(countArg ?? 25);

// self time per node = its samples x the mean sampling interval
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const hits = new Map();
for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
const totalMs = (profile.endTime - profile.startTime) / 1000;
const perSample = totalMs / profile.samples.length;

const where = (cf) => {
  if (!cf.url) return "";
  const url = cf.url.replace(/^file:\/\//, "");
  const rel = url.startsWith(rootDir)
    ? relative(rootDir, url)
    : url.replace(/^.*node_modules\//, "node_modules/");
  return `${rel}:${cf.lineNumber + 1}`;
};
const self = new Map();
for (const [id, n] of hits) {
  const cf = byId.get(id).callFrame;
  const key = `${cf.functionName || "(anonymous)"}  ${where(cf)}`.trim();
  self.set(key, (self.get(key) ?? 0) + n * perSample);
}
// also per file group: keel dist, node internals, better-sqlite3, pino, (idle/gc/program)
const groups = new Map();
for (const [id, n] of hits) {
  const cf = byId.get(id).callFrame;
  const url = cf.url ?? "";
  const g = url.includes("/dist/src/")
    ? "keel (dist/src)"
    : url.includes("better-sqlite3")
      ? "better-sqlite3 (JS side)"
      : url.includes("pino") || url.includes("sonic-boom")
        ? "pino"
        : url.startsWith("node:")
          ? "node internals"
          : url.includes("/bench/")
            ? "harness"
            : url
              ? "other JS"
              : cf.functionName.startsWith("(")
                ? cf.functionName
                : "native / V8 builtins (SQLite work shows here)";
  groups.set(g, (groups.get(g) ?? 0) + n * perSample);
}
const pct = (ms) => `${((100 * ms) / totalMs).toFixed(1)}%`;
console.log(`${file}\nprofile: ${totalMs.toFixed(0)} ms, ${profile.samples.length} samples\n`);
console.log("self time by area:");
for (const [g, ms] of [...groups].sort((a, b) => b[1] - a[1]))
  console.log(`  ${pct(ms).padStart(6)}  ${ms.toFixed(0).padStart(6)} ms  ${g}`);
console.log(`\ntop ${count} functions by self time:`);
for (const [key, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, count))
  console.log(`  ${pct(ms).padStart(6)}  ${ms.toFixed(0).padStart(6)} ms  ${key}`);
