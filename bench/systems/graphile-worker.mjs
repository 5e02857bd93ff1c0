// graphile-worker on this machine's PostgreSQL, in its own schema per case (dropped after).
import { createRequire } from "node:module";
import { Logger, makeWorkerUtils, run } from "graphile-worker";
import { pgUrl, tag } from "../lib/common.mjs";
import { dropSchema, pgDurability } from "../lib/pg.mjs";

export const name = "graphile-worker";
const require = createRequire(import.meta.url);
const TASK = "bench";

/**
 * graphile-worker's default logger prints a line per completed job at info level; the harness
 * keeps warnings and errors only (all systems log at warn or quieter), so stdout stays JSON.
 */
const logger = new Logger(() => (level, message) => {
  if (level === "error" || level === "warning")
    process.stderr.write(`graphile-worker ${level}: ${message}\n`);
});

export async function info() {
  return { version: require("graphile-worker/package.json").version, ...(await pgDurability()) };
}

export async function setup({ variant = {} } = {}) {
  const ctx = await attach({ schema: `bench_graphile_${tag()}`, variant });
  await ctx.utils.migrate();
  return ctx;
}

export async function attach(config) {
  const utils = await makeWorkerUtils({ connectionString: pgUrl, schema: config.schema, logger });
  return { config, utils, runners: [] };
}

export async function detach(ctx) {
  await ctx.utils.release();
}

export async function enqueue(ctx, data) {
  await ctx.utils.addJob(TASK, data);
}

export async function enqueueBulk(ctx, list) {
  await ctx.utils.addJobs(list.map((payload) => ({ identifier: TASK, payload })));
}

async function startRunner(ctx, concurrency, taskList) {
  const runner = await run({
    connectionString: pgUrl,
    schema: ctx.config.schema,
    concurrency,
    // the default pool has 10 connections and graphile-worker warns when concurrency exceeds it
    // ("may lead to non-optimal performance"): above 10 the pool is sized to the concurrency
    ...(concurrency > 10 ? { maxPoolSize: concurrency } : {}),
    noHandleSignals: true,
    logger,
    taskList,
    // variant.worker: the batching options of graphile-worker's performance page (localQueue,
    // completeJobBatchDelay, failJobBatchDelay), given through its preset
    ...(ctx.config.variant.worker ? { preset: { worker: ctx.config.variant.worker } } : {}),
  });
  ctx.runners.push(runner);
  return runner;
}

export async function work(ctx, concurrency, handler, { onDone } = {}) {
  const runner = await startRunner(ctx, concurrency, {
    [TASK]: async (payload, helpers) => {
      await handler(payload, helpers);
    },
  });
  // job:success is emitted just before the completion is written (not awaited)
  if (onDone) runner.events.on("job:success", ({ job }) => onDone(job.id));
}

/** jobs still in the table: completed jobs are deleted */
export async function pending(ctx) {
  return ctx.utils.withPgClient(async (c) => {
    const { rows } = await c.query(
      `SELECT count(*)::int AS n FROM ${ctx.config.schema}._private_jobs`,
    );
    return rows[0].n;
  });
}

export async function teardown(ctx) {
  for (const runner of ctx.runners) await runner.stop();
  await ctx.utils.release();
  await dropSchema(ctx.config.schema);
}

// ---- case 4: each job adds its successor; 11 jobs in sequence per run
export const chainShape =
  "11 jobs in sequence: each task adds the next with helpers.addJob (no DAG support)";
export const STEPS = 11;

export async function enqueueChains(ctx, runs) {
  await ctx.utils.addJobs(runs.map((run) => ({ identifier: TASK, payload: { run, i: 0 } })));
}

export async function workChains(ctx, concurrency, { onStepStart, onRunDone }) {
  await startRunner(ctx, concurrency, {
    [TASK]: async (payload, helpers) => {
      onStepStart(payload.run, payload.i === 0);
      if (payload.i < STEPS - 1) await helpers.addJob(TASK, { run: payload.run, i: payload.i + 1 });
      else onRunDone(payload.run);
    },
  });
}

// ---- case 5: crash recovery. A job locked by a dead worker stays locked until locked_at is
// 4 hours old (fixed in get_job; not configurable), and the resetLocked sweep that releases such
// jobs runs every 8-10 min (minResetLockedInterval / maxResetLockedInterval). The documented fast
// path is an operator or supervisor calling workerUtils.forceUnlockWorkers(ids of the dead workers).
export const crashVariants = [
  {
    label: "default (locked_at timeout 4 h, resetLocked sweep every 8-10 min)",
    variant: {},
    notes:
      "expected recovery about 4 h after the jobs were locked (plus up to 10 min for the sweep)",
  },
  {
    label: "workerUtils.forceUnlockWorkers(dead worker ids) called right after the kill",
    variant: { forceUnlock: true },
    notes:
      "not automatic: needs something that knows the dead worker's ids (here the harness reads them from the child's job:start output); the new runner finds the jobs on startup",
  },
];

export const enqueueHold = enqueue;

/** before the new worker starts: the fast variant unlocks the dead worker's jobs */
export async function beforeRecover(ctx, deadWorkerIds) {
  if (ctx.config.variant.forceUnlock && deadWorkerIds.length > 0)
    await ctx.utils.forceUnlockWorkers([...new Set(deadWorkerIds)]);
}

export async function workHold(ctx, concurrency, handler) {
  await work(ctx, concurrency, handler);
}

/** the worker id that locked the job, so the harness can forceUnlockWorkers it */
export function holderOf(_payload, helpers) {
  return helpers?.job?.locked_by ?? null;
}
