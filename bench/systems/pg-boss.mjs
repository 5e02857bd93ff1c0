// pg-boss on this machine's PostgreSQL, in its own schema per case (dropped after).
import { createRequire } from "node:module";
import PgBoss from "pg-boss";
import { pgUrl, tag } from "../lib/common.mjs";
import { dropSchema, pgDurability } from "../lib/pg.mjs";

export const name = "pg-boss";
/** throughput is bounded by batchSize per polling interval: cases 2 and 4 stop it at a short cap */
export const pollBound = true;
const require = createRequire(import.meta.url);
const QUEUE = "bench";

export async function info() {
  return { version: require("pg-boss/package.json").version, ...(await pgDurability()) };
}

/**
 * variant.boss: constructor options (expireInSeconds, maintenanceIntervalSeconds...);
 * variant.pollingIntervalSeconds: work() option (default 2 s, documented minimum 0.5 s).
 */
export async function setup({ variant = {} } = {}) {
  const ctx = await attach({ schema: `bench_pgboss_${tag()}`, variant });
  await ctx.boss.createQueue(QUEUE);
  return ctx;
}

export async function attach(config) {
  const boss = new PgBoss({
    connectionString: pgUrl,
    schema: config.schema,
    ...(config.variant.boss ?? {}),
  });
  boss.on("error", (err) => process.stderr.write(`pg-boss error: ${err.message}\n`));
  await boss.start();
  return { config, boss, workers: [] };
}

export async function detach(ctx) {
  await ctx.boss.stop({ graceful: false, wait: true });
}

export async function enqueue(ctx, data) {
  await ctx.boss.send(QUEUE, data);
}

export async function enqueueBulk(ctx, list) {
  await ctx.boss.insert(list.map((data) => ({ name: QUEUE, data })));
}

/**
 * pg-boss 10 has no worker concurrency setting: one work() loop fetches up to `batchSize` jobs,
 * hands them to the handler as an array, completes them, then waits out the polling interval.
 * The maintainer's documented way to run N at once is batchSize N with Promise.allSettled.
 */
function workOptions(ctx, batchSize) {
  const options = { batchSize };
  if (ctx.config.variant.pollingIntervalSeconds)
    options.pollingIntervalSeconds = ctx.config.variant.pollingIntervalSeconds;
  return options;
}

export async function work(ctx, concurrency, handler, { onDone } = {}) {
  const id = await ctx.boss.work(QUEUE, workOptions(ctx, concurrency), (jobs) =>
    Promise.allSettled(
      jobs.map(async (job) => {
        await handler(job.data);
        onDone?.(job.id);
      }),
    ),
  );
  ctx.workers.push(id);
}

/** created, retry or active; completion is written after the handler returns, not awaited by pg-boss */
export async function pending(ctx) {
  const { rows } = await ctx.boss
    .getDb()
    .executeSql(
      `SELECT count(*)::int AS n FROM ${ctx.config.schema}.job WHERE name = $1 AND state IN ('created', 'retry', 'active')`,
      [QUEUE],
    );
  return rows[0].n;
}

export async function teardown(ctx) {
  await ctx.boss.stop({ graceful: true, wait: true, timeout: 5000 });
  await dropSchema(ctx.config.schema);
}

// ---- case 4: each job sends its successor; 11 jobs in sequence per run
export const chainShape = "11 jobs in sequence: each job's handler sends the next (no DAG support)";
export const STEPS = 11;

export async function enqueueChains(ctx, runs) {
  await ctx.boss.insert(runs.map((run) => ({ name: QUEUE, data: { run, i: 0 } })));
}

export async function workChains(ctx, concurrency, { onStepStart, onRunDone }) {
  await ctx.boss.work(QUEUE, workOptions(ctx, concurrency), (jobs) =>
    Promise.allSettled(
      jobs.map(async ({ data }) => {
        onStepStart(data.run, data.i === 0);
        if (data.i < STEPS - 1) await ctx.boss.send(QUEUE, { run: data.run, i: data.i + 1 });
        else onRunDone(data.run);
      }),
    ),
  );
}

// ---- case 5: crash recovery. An active job whose worker died stays active until
// started_on + expireIn (default 15 min), when the maintenance sweep (every
// maintenanceIntervalSeconds, default 120 s) fails it to `retry`; then a worker's poll fetches it.
export const crashVariants = [
  {
    label:
      "default (expireInSeconds 900, maintenanceIntervalSeconds 120, pollingIntervalSeconds 2)",
    variant: {},
  },
  {
    label: "expireInSeconds 3, maintenanceIntervalSeconds 1, pollingIntervalSeconds 0.5",
    variant: {
      boss: { expireInSeconds: 3, maintenanceIntervalSeconds: 1 },
      pollingIntervalSeconds: 0.5,
    },
    notes:
      "expireIn is a hard execution timeout, not a heartbeat: it must exceed the longest job's run time or live jobs are retried while they run; 3 s is the smallest whole value above the 2 s these jobs had run when killed. 1 s and 0.5 s are the documented minimums",
  },
];

export const enqueueHold = enqueue;

export async function workHold(ctx, concurrency, handler) {
  await work(ctx, concurrency, handler);
}
