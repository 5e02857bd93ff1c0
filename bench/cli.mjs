#!/usr/bin/env node
// CLI start-up: `keel --version`, `keel jobs list` and `keel status` as whole processes, as a person
// runs them, beside `node -e 0` measured in the same rounds (the floor of any Node command on this
// machine; the ratio to it is what stays comparable when the machine is loaded).
//
//   npm run bench:cli                         this build, 15 rounds
//   node bench/cli.mjs --rounds 30
//   node bench/cli.mjs <keel-folder> [<keel-folder> ...]    builds side by side, alternating
//
// A keel folder holds bin/keel.js and its dist/ (a copy of an older build works when its
// node_modules links to the repository's). The store of the commands: a fresh home with 300 runs
// of a no-op pipeline (200 succeeded, 100 pending), no node running; then `keel status` once more
// with a node running for the home (started from the first folder, stopped by its pid at the end).
// Each command's stdout must be the same in every build (the node's uptime aside). Columns: median
// and p90 wall ms, the median's ratio to node -e 0's, and the median CPU ms (user + system, from
// /usr/bin/time when installed), which a loaded machine moves far less than wall time.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { percentiles, removeDir, rootDir, round, tempHome, waitUntil } from "./lib/common.mjs";

const args = { rounds: 15, folders: [] };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === "--rounds") args.rounds = Number(process.argv[++i]);
  else if (a.startsWith("-")) {
    process.stderr.write(
      `unknown option ${a}\nusage: node bench/cli.mjs [--rounds N] [<keel-folder> ...]\n`,
    );
    process.exit(2);
  } else args.folders.push(resolve(a));
}
if (args.folders.length === 0) args.folders.push(rootDir);
for (const folder of args.folders)
  if (!existsSync(join(folder, "dist", "src", "cli", "main.js"))) {
    process.stderr.write(`${folder} has no built keel: run \`npm run build\` there\n`);
    process.exit(1);
  }
const label = (folder) => (folder === rootDir ? "this build" : folder);

const home = tempHome("cli");
// port 0: the node listens where the system says, beside any other node of this machine
const env = {
  ...process.env,
  KEEL_HOME: home,
  KEEL_STORE: "",
  KEEL_LOG_LEVEL: "warn",
  KEEL_SERVER_PORT: "0",
};
delete env.KEEL_CONFIG;
delete env.KEEL_TOKEN;

async function seed() {
  const dist = join(args.folders[0], "dist", "src", "index.js");
  const { keel, pipeline, step } = await import(pathToFileURL(dist).href);
  const noop = pipeline("noop", [step("noop", async () => null)]);
  const k = keel({ home, pipelines: [noop], concurrency: 4 });
  await k.submitMany(
    noop,
    Array.from({ length: 200 }, (_, i) => ({ i })),
  );
  let settled = 0;
  k.on("settled", () => (settled += 1));
  await k.start();
  await waitUntil(() => settled >= 200, 60_000);
  await k.stop();
  // left pending: an instance never started submits them, and no node runs them while timed
  const idle = keel({ home, pipelines: [noop] });
  await idle.submitMany(
    noop,
    Array.from({ length: 100 }, (_, i) => ({ i: 200 + i })),
  );
  await idle.stop();
}

// GNU time, when installed, adds each process's CPU time (user + system): the cost of a command
// apart from the time it waited for a core, which a loaded machine inflates
const gnuTime = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;

/** one whole process: its wall time from spawn to exit, its CPU time (or null), and its stdout */
function timed(argv) {
  const [command, args] = gnuTime
    ? [gnuTime, ["-f", "cpu-seconds %U %S", process.execPath, ...argv]]
    : [process.execPath, argv];
  const t0 = performance.now();
  const result = spawnSync(command, args, { env, cwd: home, encoding: "utf8" });
  const ms = performance.now() - t0;
  if (result.status !== 0)
    throw new Error(`${argv.join(" ")} exited ${result.status}: ${result.stderr}`);
  const cpu = /cpu-seconds ([\d.]+) ([\d.]+)\s*$/.exec(result.stderr);
  return {
    ms,
    cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : null,
    stdout: result.stdout,
  };
}

const keelArgv = (folder, command) => [join(folder, "bin", "keel.js"), ...command];

/**
 * Rounds of every case in every folder, in turn, so that the machine's load changes all of them
 * alike. Returns one row per case and folder.
 */
function measure(cases, { sameOutput }) {
  const samples = new Map();
  const cpu = new Map();
  const outputs = new Map();
  for (let round = 0; round < args.rounds; round++)
    for (const c of cases) {
      const variants = c.keel ? args.folders : [null];
      for (const folder of variants) {
        const key = `${c.name}\t${folder ?? ""}`;
        const { ms, cpuMs, stdout } = timed(c.keel ? keelArgv(folder, c.keel) : c.argv);
        if (!samples.has(key)) samples.set(key, []);
        samples.get(key).push(ms);
        if (cpuMs !== null) cpu.set(key, [...(cpu.get(key) ?? []), cpuMs]);
        if (c.keel && round === 0) outputs.set(key, stdout);
      }
    }
  const baseline = percentiles(samples.get("node -e 0\t")).p50_ms;
  const rows = [];
  for (const c of cases)
    for (const folder of c.keel ? args.folders : [null]) {
      const key = `${c.name}\t${folder ?? ""}`;
      const values = samples.get(key);
      const sorted = [...values].sort((a, b) => a - b);
      const p90 = sorted[Math.min(sorted.length - 1, Math.ceil(0.9 * sorted.length) - 1)];
      const median = percentiles(values).p50_ms;
      const first = outputs.get(`${c.name}\t${args.folders[0]}`);
      const same = folder === null || sameOutput(outputs.get(key), first);
      if (!same)
        process.stderr.write(
          `${c.name}, ${label(folder)}: other output\n${difference(outputs.get(key), first)}\n`,
        );
      rows.push({
        case: c.name,
        build: folder === null ? "-" : label(folder),
        median_ms: round(median, 1),
        p90_ms: round(p90, 1),
        x_node: round(median / baseline, 2),
        cpu_ms: cpu.has(key) ? round(percentiles(cpu.get(key)).p50_ms, 0) : "-",
        same_output: folder === null ? "-" : same ? "yes" : "NO",
      });
    }
  return rows;
}

/** the first line where two outputs part */
function difference(a = "", b = "") {
  const x = a.split("\n");
  const y = b.split("\n");
  const at = x.findIndex((line, i) => line !== y[i]);
  return `  ${x[at]}\n  ${y[at]} (first build)`;
}

function print(title, rows) {
  process.stdout.write(
    `\n${title} (load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")})\n`,
  );
  const cols = ["case", "build", "median_ms", "p90_ms", "x_node", "cpu_ms", "same_output"];
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells) => cells.map((v, i) => String(v).padEnd(width[i])).join("  ");
  process.stdout.write(`${line(cols)}\n`);
  for (const r of rows) process.stdout.write(`${line(cols.map((c) => r[c]))}\n`);
}

const nodeFloor = { name: "node -e 0", argv: ["-e", "0"] };
// the node's uptime and heartbeat ages move between two calls
const steady = (a, b) =>
  a?.replace(/\d+(\.\d+)? s\b/g, "N s") === b?.replace(/\d+(\.\d+)? s\b/g, "N s");

let node;
try {
  await seed();
  process.stdout.write(
    `node ${process.version}, ${args.rounds} rounds, ${args.folders.length} build(s), home ${home}\n`,
  );
  print(
    "no node running",
    measure(
      [
        nodeFloor,
        { name: "keel --version", keel: ["--version"] },
        { name: "keel jobs list", keel: ["jobs", "list"] },
        { name: "keel status", keel: ["status"] },
      ],
      { sameOutput: steady },
    ),
  );

  node = spawn(process.execPath, keelArgv(args.folders[0], ["start", "--foreground"]), {
    env,
    cwd: home,
    stdio: "ignore",
  });
  const address = join(home, "api.json");
  const ready = await waitUntil(
    () => existsSync(address) && readFileSync(address, "utf8"),
    60_000,
    50,
  );
  if (!ready) throw new Error("the node did not write its API address within 60 s");
  print(
    "a node running (status through its API)",
    measure([nodeFloor, { name: "keel status", keel: ["status"] }], { sameOutput: steady }),
  );
} finally {
  if (node?.pid && node.exitCode === null) {
    const exited = new Promise((done) => node.once("exit", done));
    process.kill(node.pid, "SIGTERM");
    await exited;
  }
  removeDir(home);
}
