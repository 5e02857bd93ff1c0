#!/usr/bin/env node
// The benchmark harness: node bench/run.mjs [--quick] [--only keel,bullmq] [--cases 1,2,3]
// (`npm run bench` builds keel first). Never part of `npm test`. See bench/README.md.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { benchDir, ensureBuilt, machine } from "./lib/common.mjs";

const usage = `usage: node bench/run.mjs [--quick] [--only SYSTEMS] [--cases NUMBERS] [--no-report]
  --quick          smaller n and shorter caps (about 2-3 minutes in all)
  --only LIST      systems: keel, bullmq, pg-boss, graphile-worker (or an entry id such as
                   keel-full, bullmq-aof, pg-boss-fastpoll; "raw" selects only case 6's raw
                   stores)
  --cases LIST     case numbers: 1 enqueue, 2 processing, 3 latency, 4 multi-step,
                   5 crash recovery, 6 raw store limit (default: all)
  --no-report      do not rewrite bench/README.md's results section and results/latest.svg
  --report-from F  run nothing: rebuild the README section and the chart from the last run
                   recorded in the results file F (its lines share a "run" id)`;

function parseArgs(argv) {
  const args = {
    quick: false,
    only: null,
    cases: [1, 2, 3, 4, 5, 6],
    report: true,
    reportFrom: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const eq = a.indexOf("=");
      if (eq >= 0) return a.slice(eq + 1);
      if (i + 1 >= argv.length) fail(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--quick") args.quick = true;
    else if (a === "--no-report") args.report = false;
    else if (a.startsWith("--only")) args.only = value();
    else if (a.startsWith("--report-from")) args.reportFrom = value();
    else if (a.startsWith("--cases")) {
      args.cases = value()
        .split(",")
        .map((s) => Number(s.trim()));
      if (args.cases.some((n) => !Number.isInteger(n) || n < 1 || n > 6))
        fail("--cases takes numbers from 1 to 6");
    } else if (a === "--help" || a === "-h") {
      process.stdout.write(`${usage}\n`);
      process.exit(0);
    } else fail(`unknown option ${a}`);
  }
  return args;
}

function fail(message) {
  process.stderr.write(`bench: ${message}\n${usage}\n`);
  process.exit(64);
}

function ensureInstalled() {
  if (existsSync(join(benchDir, "node_modules"))) return;
  process.stderr.write(
    "bench: installing the harness's dependencies (npm install --prefix bench)...\n",
  );
  const r = spawnSync("npm", ["install", "--prefix", benchDir, "--no-audit", "--no-fund"], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (r.status !== 0) {
    process.stderr.write("bench: npm install --prefix bench failed\n");
    process.exit(1);
  }
}

const argv = process.argv.slice(2);
const args = parseArgs(argv);
if (args.reportFrom) {
  const report = await import("./lib/report.mjs");
  const lines = readFileSync(args.reportFrom, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  const last = lines[lines.length - 1];
  if (!last?.run) fail(`${args.reportFrom} has no run id on its last line`);
  const results = lines.filter((l) => l.run === last.run);
  const run = { quick: last.mode === "quick", args: last.run_args ?? "", date: last.run };
  writeFileSync(join(benchDir, "results", "latest.svg"), report.svg(results, run));
  report.writeReadme(
    report.markdown(
      results,
      { ...machine(), load: "n/a (report rebuilt from a results file)" },
      run,
    ),
  );
  process.stderr.write(
    `bench: rebuilt the report from ${results.length} lines of run ${last.run}\n`,
  );
  process.exit(0);
}
ensureInstalled();
ensureBuilt();

const { selectEntries, selectedModules, shutdownAdapters } = await import("./systems/index.mjs");
const { setMode, collectedResults } = await import("./lib/results.mjs");
const report = await import("./lib/report.mjs");
const cases = {
  1: await import("./cases/enqueue.mjs"),
  2: await import("./cases/processing.mjs"),
  3: await import("./cases/latency.mjs"),
  4: await import("./cases/multistep.mjs"),
  5: await import("./cases/crash.mjs"),
  6: await import("./cases/raw.mjs"),
};

const runDate = new Date().toISOString();
setMode(args.quick ? "quick" : "full", { run: runDate, run_args: argv.join(" ") });
const onlyTokens = args.only ? args.only.split(",").map((s) => s.trim().toLowerCase()) : null;
const entries = selectEntries(args.only);
const modules = selectedModules(args.only);
const m = machine();
const started = Date.now();
process.stderr.write(
  `bench: ${m.nproc} cores, ${m.memory}, ${m.cpu}, node ${m.node}; ${args.quick ? "quick" : "full"} run; systems: ${entries.map((e) => e.id).join(", ") || "none"}; cases: ${args.cases.join(", ")}\n`,
);

if (os.loadavg()[0] > 1) {
  process.stderr.write(
    `bench: warning: load average ${m.load} before starting: something else is running, numbers will be noisy\n`,
  );
}

for (const number of args.cases) {
  const c = cases[number];
  process.stderr.write(`bench: case ${number} (${c.title})...\n`);
  if (number === 6) {
    // the raw limits of the stores the selected systems use
    const wants = (t) => !onlyTokens || onlyTokens.includes("raw") || onlyTokens.includes(t);
    const sqlite = !onlyTokens || onlyTokens.includes("raw") || modules.includes("keel");
    const postgres =
      wants("postgres") || modules.some((mod) => mod === "pg-boss" || mod === "graphile-worker");
    await c.run({ quick: args.quick, sqlite, postgres });
  } else if (number === 5) {
    await c.run({ modules, quick: args.quick });
  } else {
    await c.run({ entries, quick: args.quick });
  }
}

await shutdownAdapters();

const results = collectedResults();
if (args.report && results.length > 0) {
  const run = { quick: args.quick, args: argv.join(" "), date: runDate };
  mkdirSync(join(benchDir, "results"), { recursive: true });
  writeFileSync(join(benchDir, "results", "latest.svg"), report.svg(results, run));
  report.writeReadme(report.markdown(results, m, run));
  process.stderr.write(
    "bench: wrote bench/results/latest.svg and the results section of bench/README.md\n",
  );
}
process.stderr.write(`bench: done in ${Math.round((Date.now() - started) / 1000)} s\n`);

// Every connection, worker and timer is closed by now, so the process ends by itself. If one
// was left open, say which and end anyway rather than hang.
setTimeout(() => {
  process.stderr.write(
    `bench: still open after 10 s: ${process.getActiveResourcesInfo().join(", ")}; exiting\n`,
  );
  process.exit(2);
}, 10_000).unref();
