// Retention: how fast a node's sweep deletes ended runs from a store of 1,000,000 runs, and what
// it does to the p99 of a concurrent no-op workload (submit, claim, finish one run) in the same
// process, as on a node. Rounds alternate: workload alone, workload beside the sweep.
//
//   node bench/operator.mjs --runs 1000000 --fill-only      (once: prints the store's folder)
//   node bench/retention.mjs --from DIR [--rounds 4] [--seconds 10] [--workers 4]
//
// DIR is copied first (the sweep deletes from the copy); the copy is removed afterwards.
import { copyFileSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { percentiles, rootDir, tempHome } from "./lib/common.mjs";
import { queueNoopRuns } from "./tools/queued-runs.mjs";

const dist = (p) => join(rootDir, "dist", "src", p);
const { keel, pipeline, step } = await import(dist("index.js"));
const { RetentionSweep, resolveRetentionSettings } = await import(
  dist("engine/retention-sweep.js")
);

const args = { from: null, rounds: 4, seconds: 10, workers: 4 };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === "--from") args.from = process.argv[++i];
  else if (a === "--rounds") args.rounds = Number(process.argv[++i]);
  else if (a === "--seconds") args.seconds = Number(process.argv[++i]);
  else if (a === "--workers") args.workers = Number(process.argv[++i]);
  else {
    process.stderr.write(`unknown option ${a}\n`);
    process.exit(64);
  }
}
if (!args.from) {
  process.stderr.write("--from DIR: a store filled by bench/operator.mjs --fill-only\n");
  process.exit(64);
}

const log = (text) => process.stdout.write(`${text}\n`);
const home = tempHome("retention");
copyFileSync(join(args.from, "keel.db"), join(home, "keel.db"));
const silent = pino({ level: "silent" });
const PIPELINE = "noop";
const k = keel({
  home,
  pipelines: [pipeline(PIPELINE, [step("a", async () => ({}))])],
  logger: silent,
});
const store = k.store;
try {
  const before = await store.countRunsByStatus();
  log(`runs by status: ${JSON.stringify(before)}`);

  /** one no-op run through the store as a node takes it: submit, claim, finish */
  async function oneRun(worker) {
    const now = Date.now();
    await queueNoopRuns(store, 1, now);
    const [claimed] = await store.claimRuns({
      nodeId: `bench-${worker}`,
      limit: 1,
      leaseMs: 60_000,
      now,
      pipelines: [PIPELINE],
    });
    if (!claimed) return;
    await store.completeStep(
      claimed.lease,
      {
        step: "a",
        output: {},
        outputHash: "h",
        attempt: 1,
        startedAt: now,
        finishedAt: Date.now(),
      },
      {},
    );
  }

  async function workload(ms) {
    const latencies = [];
    const end = performance.now() + ms;
    await Promise.all(
      Array.from({ length: args.workers }, async (_, w) => {
        while (performance.now() < end) {
          const t = performance.now();
          await oneRun(w);
          latencies.push(performance.now() - t);
        }
      }),
    );
    return latencies;
  }

  // the node's defaults: batches of 500, 50 ms apart; every succeeded run of the fill is past it
  const settings = resolveRetentionSettings({ succeededDays: 0.001, cancelledDays: 0.001 });
  const alone = [];
  const beside = [];
  let deleted = 0;
  let sweepMs = 0;
  for (let round = 0; round < args.rounds; round++) {
    alone.push(...(await workload(args.seconds * 1000)));
    const sweep = new RetentionSweep(store, settings, silent);
    const t = performance.now();
    const sweeping = sweep.sweep();
    beside.push(...(await workload(args.seconds * 1000)));
    await sweep.stop();
    const n = await sweeping;
    sweepMs += performance.now() - t;
    deleted += n;
    log(`round ${round + 1}: sweep deleted ${n} runs`);
  }
  const a = percentiles(alone);
  const b = percentiles(beside);
  const result = {
    bench: "retention",
    at: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    loadavg: os.loadavg().map((x) => Number(x.toFixed(2))),
    workers: args.workers,
    rounds: args.rounds,
    seconds: args.seconds,
    deleted,
    purge_runs_per_s: Math.round(deleted / (sweepMs / 1000)),
    alone: { runs: alone.length, ...a },
    beside_sweep: { runs: beside.length, ...b },
    p99_change_percent: Number((((b.p99_ms - a.p99_ms) / a.p99_ms) * 100).toFixed(1)),
  };
  log(JSON.stringify(result));
} finally {
  await k.stop();
  rmSync(home, { recursive: true, force: true });
}
