#!/usr/bin/env node
// Recovery time per reference fault (issue #5): network_failure (full and partial), disk_full,
// cpu_throttling and a SIGKILLed node, each over N trials on a fresh home. Fault scenarios time
// the clear to the first successful step and to the backlog drained; node-kill times the kill to
// the held runs running again on the surviving node and to all of them done. Every trial also
// checks that no run was lost, no checkpoint recorded twice and the store is whole; a failed
// check fails the bench. `npm run bench:recovery` builds keel first. See bench/README.md.
import { ensureBuilt, machine, spread } from "./lib/common.mjs";
import { appendLine, resultsDir } from "./lib/results.mjs";
import { join } from "node:path";

const usage = `usage: node bench/recovery.mjs [--trials N] [--only LIST] [--no-report]
  --trials N    trials per scenario (default 10; the README table wants at least 10)
  --only LIST   scenarios: network, disk, cpu, node-kill (default: all)
  --no-report   leave the Recovery section of bench/README.md alone`;
const kinds = ["network", "disk", "cpu", "node-kill"];

function fail(message) {
  process.stderr.write(`bench:recovery: ${message}\n${usage}\n`);
  process.exit(64);
}

function parseArgs(argv) {
  const args = { trials: 10, only: kinds, report: true };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split("=", 2);
    const value = () => inline ?? argv[++i] ?? fail(`${flag} needs a value`);
    if (flag === "--trials") {
      args.trials = Number(value());
      if (!Number.isInteger(args.trials) || args.trials < 1) fail("--trials takes a whole number");
    } else if (flag === "--only") {
      args.only = value()
        .split(",")
        .map((s) => s.trim());
      const unknown = args.only.filter((s) => !kinds.includes(s));
      if (unknown.length > 0) fail(`unknown scenario ${unknown.join(", ")}`);
    } else if (flag === "--no-report") args.report = false;
    else if (flag === "--help" || flag === "-h") {
      process.stdout.write(`${usage}\n`);
      process.exit(0);
    } else fail(`unknown option ${flag}`);
  }
  return args;
}

const argv = process.argv.slice(2);
const args = parseArgs(argv);
ensureBuilt();
const network = await import("./faults/network.mjs");
const disk = await import("./faults/disk.mjs");
const cpu = await import("./faults/cpu.mjs");
const nodeKill = await import("./faults/node-kill.mjs");
const { CheckFailed } = await import("./faults/shared.mjs");
const report = await import("./lib/report.mjs");
// keel's version, the commit dist/ was most likely built from, and its store, as case 1-6 lines say
const keelInfo = await (await import("./systems/keel.mjs")).info();

/** target_ms: the issue's target for the p95 of `verdict_on`; reference_ms: the runbooks' */
const scenarios = [
  {
    kind: "network",
    scenario: "network_failure",
    variant: "full: blackhole",
    module: network,
    params: { mode: "blackhole", failRatio: 1 },
    target_ms: 200,
    reference_ms: 967,
  },
  {
    kind: "network",
    scenario: "network_failure",
    variant: "partial: reset 50 %",
    module: network,
    params: { mode: "reset", failRatio: 0.5 },
    target_ms: 200,
    reference_ms: 967,
  },
  {
    kind: "disk",
    scenario: "disk_full",
    variant: "8 MiB tmpfs filled",
    module: disk,
    target_ms: 200,
    reference_ms: 891,
  },
  {
    kind: "cpu",
    scenario: "cpu_throttling",
    variant: "busy-loop hog per core",
    module: cpu,
    target_ms: 200,
    reference_ms: 777,
  },
  {
    kind: "node-kill",
    scenario: "node_kill",
    variant: "SIGKILL, survivor on the same host",
    module: nodeKill,
    target_ms: 1000,
    verdict_on: "all_running_ms",
  },
].filter((s) => args.only.includes(s.kind));

const runDate = new Date().toISOString();
const m = machine();
const resultsFile = join(resultsDir, "recovery.jsonl");
process.stderr.write(
  `bench:recovery: ${m.nproc} cores, ${m.cpu}, node ${m.node}, load ${m.load}; ${args.trials} trials of ${scenarios.map((s) => `${s.scenario} (${s.variant})`).join(", ")}\n`,
);
const lines = [];
let failed = false;

for (const s of scenarios) {
  const verdictOn = s.verdict_on ?? "first_step_ms";
  const base = {
    bench: "recovery",
    scenario: s.scenario,
    variant: s.variant,
    trials: 0,
    trials_run: args.trials,
    first_step_ms: null,
    drained_ms: null,
    target_ms: s.target_ms,
    verdict: null,
    verdict_on: `${verdictOn}.p95`,
    reference_ms: s.reference_ms ?? null,
  };
  const finish = (fields) => {
    const line = {
      ...base,
      ...fields,
      settings: s.module.settingsNote,
      keel: keelInfo.version,
      store: keelInfo.store,
      node: process.version,
      run: runDate,
      run_args: argv.join(" "),
      at: new Date().toISOString(),
    };
    appendLine(resultsFile, line);
    lines.push(line);
  };
  const cannot = s.module.cannotMount?.();
  if (cannot) {
    process.stderr.write(
      `bench:recovery: ${s.scenario} skipped: mounting a tmpfs is not permitted here (${cannot})\n`,
    );
    finish({ verdict: "skipped", notes: `tmpfs mount not permitted: ${cannot}` });
    continue;
  }
  // a trial that fails its checks or gets stuck is reported loudly and the next one still runs,
  // so the line says how often it happens; the bench then exits 1
  const trials = [];
  const failures = [];
  for (let i = 0; i < args.trials; i++) {
    const label = `${s.scenario} (${s.variant}) trial ${i + 1}/${args.trials}`;
    try {
      const t = await s.module.trial({ ...s.params, i, n: args.trials });
      trials.push(t);
      process.stderr.write(
        `bench:recovery: ${label}: first ${t.first_step_ms.toFixed(1)} ms, drained ${t.drained_ms.toFixed(1)} ms${t.all_running_ms === undefined ? "" : `, all running ${t.all_running_ms.toFixed(1)} ms`}\n`,
      );
    } catch (error) {
      const what = error instanceof CheckFailed ? "CHECK FAILED" : "FAILED";
      const state = error.state ? `\nthe store then: ${JSON.stringify(error.state)}` : "";
      process.stderr.write(
        `\nbench:recovery: ${what}: ${label}: ${error.stack ?? error}${state}\n\n`,
      );
      failures.push({
        trial: i + 1,
        error: `${what}: ${error.message}`,
        ...(error.state ? { state: error.state } : {}),
      });
    }
  }
  if (failures.length > 0) failed = true;
  if (trials.length === 0) {
    finish({ verdict: "failed", failures, notes: `every trial failed: ${failures[0].error}` });
    continue;
  }
  const pick = (key) => spread(trials.map((t) => t[key]));
  const measured = pick(verdictOn);
  const optional = (key) => (trials[0][key] === undefined ? {} : { [key]: pick(key) });
  finish({
    trials: trials.length,
    first_step_ms: pick("first_step_ms"),
    drained_ms: pick("drained_ms"),
    verdict:
      failures.length > 0
        ? `failed (${failures.length} of ${args.trials} trials)`
        : measured.p95 <= s.target_ms
          ? "met"
          : "missed",
    ...(verdictOn === "first_step_ms" ? {} : { [verdictOn]: measured }),
    ...(trials[0].step_ms ? { step_ms: cpu.stepLatency(trials) } : {}),
    runs: pick("runs"),
    ...optional("backlog_at_clear"),
    ...optional("fault_ms"),
    ...optional("held_writes"),
    ...optional("lowest_worker_limit"),
    ...(failures.length > 0 ? { failures } : {}),
  });
}

const everything = args.only.length === kinds.length && args.trials >= 10;
if (args.report && everything) {
  report.writeReadme(markdown(lines), "recovery");
  process.stderr.write("bench:recovery: wrote the Recovery section of bench/README.md\n");
} else if (args.report) {
  process.stderr.write(
    "bench:recovery: bench/README.md left alone (its table is written by a run of every scenario with at least 10 trials)\n",
  );
}
if (failed) {
  process.stderr.write("bench:recovery: FAILED: a trial failed its checks or did not finish\n");
  process.exitCode = 1;
}

function markdown(results) {
  const span = (x) => (x ? `${report.ms(x.p50)} / ${report.ms(x.p95)} / ${report.ms(x.max)}` : "–");
  const measures = {
    first_step_ms: "clear → first step succeeded",
    all_running_ms: "kill → all held runs running again",
  };
  const out = [
    `_Generated by \`npm run bench:recovery${argv.length ? ` -- ${argv.join(" ")}` : ""}\` on ${runDate}. Raw lines: \`bench/results/recovery.jsonl\` (this run: \`"run": "${runDate}"\`)._`,
    "",
    report.machineTable(m),
    "",
    `keel ${keelInfo.version}, ${keelInfo.store}.`,
    "",
    "Milliseconds, p50 / p95 / max over the trials. Fault scenarios: from the clear; node_kill: from the SIGKILL (first step = the first held run running again on the survivor, drained = all held runs done). The verdict compares the p95 of the measure it names with the target.",
    "",
    report.table(
      ["scenario", "fault", "trials", "first step", "drained", "target (p95 of)", "verdict"],
      results.map((r) => [
        r.scenario,
        r.variant,
        r.trials === r.trials_run ? r.trials : `${r.trials} of ${r.trials_run}`,
        span(r.first_step_ms),
        span(r.drained_ms),
        r.target_ms === null
          ? "–"
          : `${report.ms(r.target_ms)} ms (${measures[r.verdict_on.replace(/\.p95$/, "")] ?? r.verdict_on}${r.all_running_ms ? `: ${span(r.all_running_ms)}` : ""})`,
        r.verdict === "skipped" ? `skipped: ${r.notes}` : r.verdict,
      ]),
    ),
    "",
  ];
  const cpuLine = results.find((r) => r.step_ms);
  if (cpuLine) {
    out.push(
      "cpu_throttling: execution time of one step (3 ms of CPU work on an unloaded core), by when it started, all trials pooled:",
      "",
      report.table(
        ["phase", "p50 ms", "p95 ms", "max ms"],
        [
          ["before the hogs", cpuLine.step_ms.before],
          ["under the hogs", cpuLine.step_ms.during],
          ["after the clear", cpuLine.step_ms.after],
        ].map(([phase, x]) => [phase, report.ms(x.p50), report.ms(x.p95), report.ms(x.max)]),
      ),
      "",
    );
  }
  for (const r of results.filter((x) => x.failures))
    out.push(
      `**${r.scenario}** (${r.variant}): ${r.failures.length} of ${r.trials_run} trials failed (times above are of the others):`,
      "",
      ...r.failures.map(
        (f) => `- trial ${f.trial}: ${f.error}${f.state ? ` (${stuckState(f.state)})` : ""}`,
      ),
      "",
    );
  out.push("Backlog at the clear (runs not yet succeeded, median of the trials) and settings:", "");
  for (const r of results)
    out.push(
      `- **${r.scenario}** (${r.variant}): ${r.backlog_at_clear ? `backlog ${r.backlog_at_clear.p50} of ${r.runs.p50} runs at the clear; fault held ${report.ms(r.fault_ms.p50)} ms; ` : ""}${r.lowest_worker_limit ? `lowest worker limit in a trial ${r.lowest_worker_limit.p50} (median of the trials); ` : ""}${r.settings}.`,
    );
  return out.join("\n");
}

/** a failed trial's store in a few words: runs by status, the breakers, the disk */
function stuckState({ statuses, breakers, disk }) {
  const kb = (bytes) => `${report.ms(Math.round(bytes / 1024))} KiB`;
  return [
    `runs ${statuses.map((s) => `${s.status} ${s.n}`).join(", ")}`,
    ...breakers.map((b) => `breaker ${b.name} ${b.state}`),
    `keel.db ${kb(disk["keel.db"])}, keel.db-wal ${kb(disk["keel.db-wal"])}, ${kb(disk.free)} free of ${kb(disk.total)}`,
  ].join("; ");
}
