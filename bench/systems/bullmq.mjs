// BullMQ on this machine's Redis, or on a Redis the harness starts with AOF (the persistence
// BullMQ's production guide recommends). Each case gets its own key prefix; its keys are deleted
// after.
import { FlowProducer, Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { createRequire } from "node:module";
import { redisConnection, tag } from "../lib/common.mjs";
import { startRedis, stopAllRedis } from "../lib/redis-server.mjs";

export const name = "bullmq";
const require = createRequire(import.meta.url);
const QUEUE = "bench";

/**
 * Redis servers by `variant.redis`: absent, this machine's (BENCH_REDIS_URL); "aof-everysec", one
 * the harness starts with `appendonly yes`, `appendfsync everysec` and `maxmemory-policy
 * noeviction`, as BullMQ's "Going to production" guide says to run Redis.
 */
const servers = {
  "aof-everysec": [
    "--appendonly",
    "yes",
    "--appendfsync",
    "everysec",
    "--maxmemory-policy",
    "noeviction",
  ],
};
const startedServers = new Map();

async function connectionFor(variant = {}) {
  if (!variant.redis) return redisConnection;
  const settings = servers[variant.redis];
  if (!settings) throw new Error(`bullmq adapter: unknown redis variant ${variant.redis}`);
  if (!startedServers.has(variant.redis))
    startedServers.set(variant.redis, startRedis(variant.redis, settings));
  return (await startedServers.get(variant.redis)).connection;
}

/** Worker options: the variant without the choice of server */
function workerOptions(variant = {}) {
  const { redis: _server, ...options } = variant;
  return options;
}

const redisInfo = new Map();
async function serverInfo(connection) {
  const key = `${connection.host}:${connection.port}`;
  if (redisInfo.has(key)) return redisInfo.get(key);
  const r = new Redis({ ...connection, lazyConnect: true });
  await r.connect();
  const server = await r.info("server");
  const [, save] = await r.config("GET", "save");
  const [, appendonly] = await r.config("GET", "appendonly");
  const [, appendfsync] = await r.config("GET", "appendfsync");
  await r.quit();
  const info = {
    version: /redis_version:(\S+)/.exec(server)?.[1] ?? "?",
    save: save === "" ? '""' : save,
    appendonly,
    appendfsync,
  };
  redisInfo.set(key, info);
  return info;
}

export async function info(variant = {}) {
  const r = await serverInfo(await connectionFor(variant));
  const aof = r.appendonly === "yes" ? `, appendfsync ${r.appendfsync}` : "";
  const store = `Redis ${r.version} (save ${r.save}, appendonly ${r.appendonly}${aof})`;
  let durability;
  if (r.appendonly === "yes" && r.appendfsync === "everysec")
    durability =
      "Redis AOF, appendfsync everysec: survives a Redis or process crash (kill -9), not power loss / OS crash (up to 1 s may be lost)";
  else if (r.appendonly === "yes") durability = `Redis AOF, appendfsync ${r.appendfsync}`;
  else if (r.save !== '""')
    durability = `Redis snapshots only (save ${r.save}): writes since the last snapshot are lost on a Redis restart`;
  else
    durability =
      'none: this Redis runs without persistence (save "", appendonly no): an acknowledged enqueue is lost on a Redis restart';
  return { version: require("bullmq/package.json").version, store, durability };
}

/** variant: `redis` picks the server; the rest are worker options (lockDuration, stalledInterval) */
export async function setup({ variant = {} } = {}) {
  return attach({ prefix: `bench-${tag()}`, variant, connection: await connectionFor(variant) });
}

/** config is JSON (the producer and crash children get it on their command line) */
export async function attach(config) {
  const queue = new Queue(QUEUE, { connection: config.connection, prefix: config.prefix });
  await queue.waitUntilReady();
  return { config, queue, workers: [], flow: null };
}

/** stops the Redis servers this process started */
export async function shutdown() {
  startedServers.clear();
  await stopAllRedis();
}

export async function detach(ctx) {
  await ctx.queue.close();
}

export async function enqueue(ctx, data) {
  await ctx.queue.add("job", data);
}

export async function enqueueBulk(ctx, list) {
  await ctx.queue.addBulk(list.map((data) => ({ name: "job", data })));
}

function startWorker(ctx, concurrency, processor) {
  const worker = new Worker(QUEUE, processor, {
    connection: ctx.config.connection,
    prefix: ctx.config.prefix,
    concurrency,
    ...workerOptions(ctx.config.variant),
  });
  worker.on("error", (err) => process.stderr.write(`bullmq worker error: ${err.message}\n`));
  ctx.workers.push(worker);
  return worker;
}

export async function work(ctx, concurrency, handler, { onDone } = {}) {
  const worker = startWorker(ctx, concurrency, async (job) => {
    await handler(job.data);
    return null;
  });
  if (onDone) worker.on("completed", (job) => onDone(job.id));
  await worker.waitUntilReady();
}

export async function pending(ctx) {
  const counts = await ctx.queue.getJobCounts(
    "wait",
    "active",
    "delayed",
    "prioritized",
    "waiting-children",
    "paused",
  );
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

export async function teardown(ctx) {
  await Promise.all(ctx.workers.map((w) => w.close()));
  if (ctx.flow) await ctx.flow.close();
  await ctx.queue.close();
  await deleteKeys(ctx.config.connection, `${ctx.config.prefix}:*`);
}

async function deleteKeys(connection, pattern) {
  const r = new Redis({ ...connection, lazyConnect: true });
  await r.connect();
  let cursor = "0";
  do {
    const [next, keys] = await r.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await r.unlink(...keys);
  } while (cursor !== "0");
  await r.quit();
}

// ---- case 4: a flow per run. Flows are trees (one parent per job), and every step of the DAG
// with two or more successors would need two parents, so the 11 steps become one chain: each
// job is the only child of the next, the first step is the deepest leaf.
export const chainShape =
  "FlowProducer tree: an 11-job chain (a flow job has one parent, so the DAG's fan-out/fan-in cannot be kept)";
export const STEPS = 11;

export async function enqueueChains(ctx, runs) {
  ctx.flow = new FlowProducer({ connection: ctx.config.connection, prefix: ctx.config.prefix });
  const flows = runs.map((run) => {
    let node = { name: "step0", queueName: QUEUE, data: { run, i: 0 } };
    for (let i = 1; i < STEPS; i++)
      node = { name: `step${i}`, queueName: QUEUE, data: { run, i }, children: [node] };
    return node;
  });
  for (let i = 0; i < flows.length; i += 100) await ctx.flow.addBulk(flows.slice(i, i + 100));
}

export async function workChains(ctx, concurrency, { onStepStart, onRunDone }) {
  const worker = startWorker(ctx, concurrency, async (job) => {
    onStepStart(job.data.run, job.data.i === 0);
    return null;
  });
  worker.on("completed", (job) => {
    if (job.data.i === STEPS - 1) onRunDone(job.data.run);
  });
  await worker.waitUntilReady();
}

// ---- case 5: crash recovery
export const crashVariants = [
  { label: "default (lockDuration 30000, stalledInterval 30000)", variant: {} },
  {
    label: "lockDuration 1000, stalledInterval 1000",
    variant: { lockDuration: 1000, stalledInterval: 1000 },
    notes:
      "lock renewed every 500 ms (lockRenewTime = lockDuration/2); a handler blocking the event loop > 1 s would be seen as stalled",
  },
];

export const enqueueHold = enqueue;

export async function workHold(ctx, concurrency, handler) {
  await work(ctx, concurrency, handler);
}
