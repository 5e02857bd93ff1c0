#!/usr/bin/env node
// keel on PostgreSQL beside pg-boss and graphile-worker on the same server, in one run:
//   node bench/postgres.mjs [--quick] [--parts throughput,latency,crash,scaling]
// (`npm run bench:postgres` builds keel first). Never part of `npm test`. See bench/README.md.
//   throughput  case 2 of run.mjs (a pre-filled queue drained) at concurrency 10 and 50
//   latency     case 3 (200 jobs/s into idle workers, enqueue-to-start)
//   crash       case 5 with the dead worker on another host (keel: lease expiry)
//   scaling     1, 2 and 4 keel node processes draining one backlog, with round trips per run
// Lines go to bench/results/postgres.jsonl; every system and setting gets a schema of its own.
import { spawn } from "node:child_process";
import { once } from "node:events";
import os from "node:os";
import { join } from "node:path";
import {
  benchDir,
  ensureBuilt,
  machine,
  now,
  removeDir,
  round,
  sleep,
  tempHome,
} from "./lib/common.mjs";
import { countRoundTrips } from "./lib/pg-round-trips.mjs";
import { record, setMode, setResultsFile } from "./lib/results.mjs";

const args = process.argv.slice(2);
if (args[0] === "--scale-child") await scaleChild(JSON.parse(args[1]));
else await main();

async function main() {
  const quick = args.includes("--quick");
  const partsAt = args.indexOf("--parts");
  const parts =
    partsAt >= 0 ? args[partsAt + 1].split(",") : ["throughput", "latency", "crash", "scaling"];
  ensureBuilt();
  const runDate = new Date().toISOString();
  setMode(quick ? "quick" : "full", { bench: "postgres", run: runDate, run_args: args.join(" ") });
  setResultsFile(join(benchDir, "results", "postgres.jsonl"));
  const m = machine();
  process.stderr.write(
    `bench:postgres: ${m.nproc} cores, node ${m.node}, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}; parts: ${parts.join(", ")}\n`,
  );
  const entries = [
    { id: "keel-pg", module: "keel", variant: { store: "postgres" }, variantLabel: "default" },
    { id: "pg-boss", module: "pg-boss", variant: {}, variantLabel: "default" },
    {
      id: "pg-boss-fastpoll",
      module: "pg-boss",
      variant: { pollingIntervalSeconds: 0.5 },
      variantLabel: "pollingIntervalSeconds 0.5",
    },
    { id: "graphile-worker", module: "graphile-worker", variant: {}, variantLabel: "default" },
    {
      // the batching of graphile-worker's performance page (worker.graphile.org/docs/performance)
      id: "graphile-worker-batched",
      module: "graphile-worker",
      variant: {
        worker: { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 },
      },
      variantLabel: "localQueue 500, completeJobBatchDelay 0, failJobBatchDelay 0",
    },
  ];
  const load = () => ({ load_1m: round(os.loadavg()[0]) });
  if (parts.includes("throughput")) {
    const processing = await import("./cases/processing.mjs");
    await processing.run({ entries, quick, concurrencies: [10, 50] });
    process.stderr.write(`bench:postgres: throughput done, ${JSON.stringify(load())}\n`);
  }
  if (parts.includes("latency")) {
    const latency = await import("./cases/latency.mjs");
    await latency.run({ entries, quick });
    process.stderr.write(`bench:postgres: latency done, ${JSON.stringify(load())}\n`);
  }
  if (parts.includes("crash")) {
    const crash = await import("./cases/crash.mjs");
    await crash.run({
      modules: ["keel", "pg-boss", "graphile-worker"],
      quick,
      variantsOf: (adapter) =>
        adapter.name === "keel" ? adapter.postgresCrashVariants : adapter.crashVariants,
    });
  }
  if (parts.includes("scaling")) await scaling(quick);
  const { shutdownAdapters } = await import("./systems/index.mjs");
  await shutdownAdapters();
  process.stderr.write(`bench:postgres: done, ${JSON.stringify(load())}\n`);
}

/**
 * 1, 2 and 4 node processes on one schema drain the same backlog, in turns (every size's first
 * try, then every size's second...). Each process counts its own round trips; the drain is timed
 * from the spawn of the nodes to the poll that finds every run succeeded.
 */
async function scaling(quick) {
  const keelAdapter = await import("./systems/keel.mjs");
  const n = quick ? 4000 : 10000;
  const tries = quick ? 1 : 3;
  const concurrency = 10;
  const sizes = [1, 2, 4];
  const seen = new Map(sizes.map((s) => [s, []]));
  for (let t = 0; t < tries; t++) {
    for (const nodes of sizes) {
      const ctx = await keelAdapter.setup({ variant: { store: "postgres" }, concurrency });
      try {
        for (let i = 0; i < n; i += 1000)
          await keelAdapter.enqueueBulk(
            ctx,
            Array.from({ length: Math.min(1000, n - i) }, (_, j) => ({ i: i + j })),
          );
        seen.get(nodes).push(await drainWith(ctx, nodes, n, concurrency));
      } finally {
        await keelAdapter.teardown(ctx);
      }
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const info = await keelAdapter.info({ store: "postgres" });
  for (const [nodes, list] of seen) {
    const rate = median(list.map((l) => l.runs_per_s));
    record({
      system: "keel",
      version: info.version,
      store: info.store,
      durability: info.durability,
      variant: `${nodes} node process${nodes > 1 ? "es" : ""}`,
      case: "pg-scaling",
      n,
      concurrency,
      jobs_per_s: rate,
      nodes,
      round_trips_per_run: median(list.map((l) => l.round_trips_per_run)),
      transactions_per_run: median(list.map((l) => l.transactions_per_run)),
      tries_jobs_per_s: list.map((l) => round(l.runs_per_s, 1)),
      load_1m: list.map((l) => l.load_1m),
      notes: `${nodes} keel processes at concurrency ${concurrency} each, one schema, a pre-filled backlog; from their spawn to every run succeeded; median of ${list.length}`,
    });
  }
}

async function drainWith(ctx, nodes, n, concurrency) {
  const config = {
    ...ctx.config,
    home: undefined,
    concurrency,
  };
  const load_1m = round(os.loadavg()[0]);
  const t0 = now();
  const children = Array.from({ length: nodes }, () =>
    spawn(process.execPath, [process.argv[1], "--scale-child", JSON.stringify(config)], {
      stdio: ["pipe", "pipe", "inherit"],
    }),
  );
  let done = false;
  while (!done) {
    await sleep(20);
    const counts = await ctx.k.store.countRunsByStatus();
    done = counts.succeeded >= n;
  }
  const wall = now() - t0;
  const reports = await Promise.all(
    children.map(async (child) => {
      let out = "";
      child.stdout.on("data", (d) => (out += d));
      child.stdin.end("stop\n");
      await once(child, "exit");
      return JSON.parse(out.trim().split("\n").at(-1));
    }),
  );
  const queries = reports.reduce((a, r) => a + r.queries, 0);
  const transactions = reports.reduce((a, r) => a + r.transactions, 0);
  const line = {
    runs_per_s: (n / wall) * 1000,
    round_trips_per_run: round(queries / n, 2),
    transactions_per_run: round(transactions / n, 3),
    load_1m,
  };
  process.stderr.write(`bench:postgres: ${nodes} node(s): ${JSON.stringify(line)}\n`);
  return line;
}

/** one node of the scaling part: starts at once, stops when told, prints its round trips */
async function scaleChild(config) {
  const trips = countRoundTrips(join(benchDir, "..", "dist"));
  const keelAdapter = await import("./systems/keel.mjs");
  const ctx = await keelAdapter.attach({ ...config, home: tempHome("keel-scale") });
  await ctx.k.start();
  process.stdin.resume();
  await once(process.stdin, "data");
  await ctx.k.stop();
  removeDir(ctx.home);
  process.stdout.write(`${JSON.stringify(trips.read())}\n`);
  process.exit(0);
}
