#!/usr/bin/env node
// The operator's figures over a big store: `jobs list` and `quarantine list` over N runs (default
// one million; target under 50 ms), and the API's GET /v1/runs under concurrent load (autocannon
// on loopback), p50/p95/p99. Not part of npm test; run with `npm run bench:operator` from the
// repository root (it builds keel first). Appends one JSON line per figure to
// bench/results/operator.jsonl.
//   node bench/operator.mjs [--runs N] [--keep] [--fill-only] [--reuse DIR] [--seconds S] [--connections C]
import { appendFileSync, existsSync, mkdirSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import autocannon from "autocannon";
import { pino } from "pino";
import { benchDir, percentiles, rootDir, tempHome } from "./lib/common.mjs";

const dist = (p) => join(rootDir, "dist", "src", p);
const { keel, pipeline, step } = await import(dist("index.js"));
const { encodeTime, newTraceId } = await import(dist("core/ids.js"));
const { listenApi } = await import(dist("api/listen.js"));
const { createApiToken } = await import(dist("ops/tokens.js"));

const args = { runs: 1_000_000, seconds: 10, connections: 10, reuse: null, keep: false };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === "--runs") args.runs = Number(process.argv[++i]);
  else if (a === "--seconds") args.seconds = Number(process.argv[++i]);
  else if (a === "--connections") args.connections = Number(process.argv[++i]);
  else if (a === "--reuse") args.reuse = process.argv[++i];
  else if (a === "--keep") args.keep = true;
  else if (a === "--fill-only") args.fillOnly = true;
  else {
    process.stderr.write(`unknown option ${a}\n`);
    process.exit(64);
  }
}

const DAY = 86_400_000;
const PIPELINES = ["document-analysis", "nightly-report", "thumbnails", "billing-sync"];
const REASONS = ["max_attempts", "timeout", "permanent:parse_error", "bad_output"];
const noop = PIPELINES.map((name) => pipeline(name, [step("a", async () => ({}))]));
const home = args.reuse ?? tempHome("operator");
const k = keel({ home, pipelines: noop, logger: pino({ level: "silent" }) });
const store = k.store;

const log = (text) => process.stdout.write(`${text}\n`);
const results = [];
function record(name, figures) {
  const line = {
    bench: "operator",
    case: name,
    runs: args.runs,
    at: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    ...figures,
  };
  results.push(line);
  log(JSON.stringify(line));
}

// 1. the store: N runs over 30 days, 70 % succeeded, 2 % quarantined, the rest pending
if (!args.reuse) {
  const started = performance.now();
  const now = Date.now();
  const BATCH = 5000;
  for (let done = 0; done < args.runs; done += BATCH) {
    const runs = [];
    for (let i = done; i < Math.min(args.runs, done + BATCH); i++) {
      const createdAt = now - 30 * DAY + Math.floor((i / args.runs) * 30 * DAY);
      runs.push({
        id: `run_${encodeTime(createdAt)}${String(i).padStart(16, "0")}`,
        pipeline: PIPELINES[i % PIPELINES.length],
        pipelineVersion: "v1",
        input: { i },
        priority: 0,
        idempotencyKey: null,
        source: "bench",
        traceId: newTraceId(),
        seed: i,
        scheduledFor: createdAt,
        createdAt,
        actor: "bench",
      });
    }
    await store.submitRuns(runs);
    if ((done / BATCH) % 20 === 0) log(`filled ${done + runs.length} runs`);
  }
  log(`filled ${args.runs} runs in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  // settle a share of them the way a node would: claim, then succeed or quarantine
  const settled = performance.now();
  const target = {
    succeeded: Math.floor(args.runs * 0.7),
    quarantined: Math.floor(args.runs * 0.02),
  };
  let succeeded = 0;
  let quarantined = 0;
  while (succeeded + quarantined < target.succeeded + target.quarantined) {
    const claimed = await store.claimRuns({
      nodeId: "bench",
      limit: 2000,
      leaseMs: 600_000,
      now: Date.now(),
      pipelines: PIPELINES,
    });
    if (claimed.length === 0) break;
    await Promise.all(
      claimed.map((c, j) => {
        const t = c.run.createdAt + 1000;
        if (quarantined < target.quarantined && j % 37 === 0) {
          quarantined++;
          const reason = REASONS[quarantined % REASONS.length];
          return store.quarantineRun(
            c.lease,
            reason,
            { code: reason, message: "bench", step: "a" },
            t,
          );
        }
        succeeded++;
        return store.completeStep(
          c.lease,
          { step: "a", output: {}, outputHash: "h", attempt: 1, startedAt: t, finishedAt: t + 1 },
          { a: {} },
        );
      }),
    );
  }
  log(
    `settled ${succeeded} succeeded and ${quarantined} quarantined in ${((performance.now() - settled) / 1000).toFixed(1)} s`,
  );
}
log(`runs by status: ${JSON.stringify(await store.countRunsByStatus())}`);
if (args.fillOnly) {
  // fill now, measure later (--reuse DIR): the filling can run while the machine is busy
  await k.stop();
  log(`store kept in ${home} (measure it with --reuse ${home})`);
  process.exit(0);
}

// 2. listing, in-process: the query and the JSON a command prints, 200 times each
const { listRuns } = await import(dist("api/operations/runs.js"));
const { listQuarantined } = await import(dist("api/operations/quarantine.js"));
const { parseInput } = await import(dist("api/operation.js"));
const ctx = { keel: k, home, actor: "bench" };
async function timeList(name, op, query, deep = false, repeat = 200) {
  const times = [];
  let rows = 0;
  let cursor;
  for (let i = 0; i < repeat; i++) {
    const t = performance.now();
    const page = await op.run(
      ctx,
      parseInput(op, { query: { ...query, ...(deep && cursor ? { cursor } : {}) } }),
    );
    JSON.stringify(page);
    times.push(performance.now() - t);
    rows = page.runs.length;
    cursor = page.next_cursor ?? undefined;
  }
  record(name, { rows, ...percentiles(times) });
}
await timeList("jobs list (newest 50)", listRuns, {});
await timeList("jobs list --status succeeded", listRuns, { status: "succeeded" });
await timeList("jobs list --status pending", listRuns, { status: "pending" });
await timeList("jobs list --pipeline thumbnails --since 24h", listRuns, {
  pipeline: "thumbnails",
  since: "24h",
});
await timeList("jobs list --status quarantined --pipeline billing-sync", listRuns, {
  status: "quarantined",
  pipeline: "billing-sync",
});
await timeList("jobs list, paging 200 pages deep", listRuns, {}, true);
await timeList("quarantine list", listQuarantined, {});
await timeList("quarantine list --reason timeout", listQuarantined, { reason: "timeout" });
await timeList("quarantine list --since 7d", listQuarantined, { since: "7d" });

// 3. the CLI end to end (a new process each time: Node's start-up included), 10 times
const cli = [];
for (let i = 0; i < 10; i++) {
  const t = performance.now();
  const r = spawnSync(
    process.execPath,
    [join(rootDir, "bin", "keel.js"), "jobs", "list", "--home", home, "--format", "json"],
    {
      encoding: "utf8",
      env: { ...process.env, KEEL_HOME: home },
    },
  );
  if (r.status !== 0) throw new Error(`keel jobs list failed: ${r.stderr}`);
  cli.push(performance.now() - t);
}
record("keel jobs list (whole process)", percentiles(cli));

// 4. the API under load: GET /v1/runs?limit=50 with C connections for S seconds
// the API of an idle node: no run executes beside the requests, so the figures are the API's own
const api = await listenApi({ keel: k, home, host: "127.0.0.1", port: 0, auth: true });
const { token } = await createApiToken(store, {
  name: `bench-${Date.now()}`,
  role: "viewer",
  actor: "bench",
});
for (const [name, path] of [
  ["GET /v1/runs?limit=50", "/v1/runs?limit=50"],
  ["GET /v1/quarantine?limit=50", "/v1/quarantine?limit=50"],
  [
    "GET /v1/runs?status=succeeded&pipeline=thumbnails&limit=50",
    "/v1/runs?status=succeeded&pipeline=thumbnails&limit=50",
  ],
]) {
  const result = await autocannon({
    url: `${api.url}${path}`,
    connections: args.connections,
    duration: args.seconds,
    headers: { authorization: `Bearer ${token}` },
  });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${path}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  record(`api ${name}`, {
    connections: args.connections,
    seconds: args.seconds,
    requests: result.requests.total,
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
  });
}
await api.close();
await k.stop();

mkdirSync(join(benchDir, "results"), { recursive: true });
appendFileSync(
  join(benchDir, "results", "operator.jsonl"),
  results.map((r) => JSON.stringify(r)).join("\n") + "\n",
);
if (!args.keep && !args.reuse) rmSync(home, { recursive: true, force: true });
else log(`store kept in ${home} (reuse it with --reuse ${home})`);
process.exit(0);
