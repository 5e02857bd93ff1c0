#!/usr/bin/env node
// Every help text of a keel build, one file per command, so two builds compare byte for byte:
//   node bench/tools/cli-help-dump.mjs <keel-folder> <out-dir>
//   node bench/tools/cli-help-dump.mjs . bench/.work/help-after && diff -r <before> <after>
// The command paths come from the build's own bash completion (it walks the whole command tree);
// besides `--help` of each, the files hold the usage errors that depend on the tree (an unknown
// command and its suggestion, a missing argument) and `--version`. Each file: the exit code, then
// stdout, then stderr.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const [folder, out] = process.argv.slice(2);
if (!folder || !out) {
  process.stderr.write("usage: node bench/tools/cli-help-dump.mjs <keel-folder> <out-dir>\n");
  process.exit(2);
}
const bin = join(resolve(folder), "bin", "keel.js");
const completion = spawnSync(process.execPath, [bin, "completion", "bash"], { encoding: "utf8" });
if (completion.status !== 0) {
  process.stderr.write(`keel completion bash failed: ${completion.stderr}\n`);
  process.exit(1);
}
const paths = [...completion.stdout.matchAll(/^ {4}"([^"]*)"\) words=/gm)].map((m) => m[1]);
const cases = [
  ...paths.map((p) => [...(p ? p.split(" ") : []), "--help"]),
  ["--version"],
  ["-V"],
  [],
  ["help", "jobs"],
  ["jobz"],
  ["jobs", "lst"],
  ["jobs", "list", "--stauts", "x"],
  ["--format", "json", "jobs"],
  ["submit"],
  ["completion", "bash"],
  ["completion", "fish"],
];
mkdirSync(out, { recursive: true });

function run(args) {
  return new Promise((done) => {
    // a home that does not exist: no command here may reach a store
    const env = { ...process.env, KEEL_HOME: join(resolve(out), ".no-home"), COLUMNS: "100" };
    const child = spawn(process.execPath, [bin, ...args], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => {
      const name = args.length ? args.join("_").replace(/[^\w.-]/g, "+") : "(none)";
      writeFileSync(join(out, `${name}.txt`), `exit ${code}\n${stdout}\n--- stderr\n${stderr}`);
      done();
    });
  });
}

const queue = [...cases];
await Promise.all(
  [1, 2].map(async () => {
    for (let args = queue.shift(); args; args = queue.shift()) await run(args);
  }),
);
process.stdout.write(`${cases.length} outputs in ${out}\n`);
