#!/usr/bin/env node
// Where keel's enqueue-to-start goes on PostgreSQL, in one process: each job's submit call, the
// moment its promise resolves (its commit is done), and its step's start (the node heard of it,
// claimed it and dispatched it). 200 jobs/s for 3 s into a node of 10 idle slots, as case 3 of the
// bench; prints p50 / p90 / p99 of the three spans, the round trips of one submit on its own, and
// the floor: one INSERT committed on its own at the same pace.
//   node bench/tools/pg-latency-split.mjs        (after npm run build; BENCH_PG_URL, else the CI server)
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { pgUrl, removeDir, rootDir, tag, workDir } from "../lib/common.mjs";
import { benchJoinToken, countRoundTrips } from "../lib/pg-round-trips.mjs";

const dist = join(rootDir, "dist");
const trips = countRoundTrips(dist);
const join_ = await benchJoinToken(dist);
const schema = `bench_split_${tag()}`;
process.env.KEEL_STORE = `${pgUrl}?schema=${schema}`;
const { keel, pipeline, step } = await import(pathToFileURL(join(dist, "src", "index.js")).href);

const marks = [];
const noop = pipeline("noop", [
  step("noop", async (_ctx, input) => {
    const mark = marks[input.i];
    if (mark) mark.started = performance.now();
    return null;
  }),
]);
const home = join(workDir, `split-${tag()}`);
const k = keel({ home, pipelines: [noop], concurrency: 10, cluster: { joinToken: join_.token } });
await join_.grant(k.store);

// one submit on its own, before the node runs: its round trips
await k.submit(noop, { i: -1 });
trips.reset();
await k.submit(noop, { i: -1 });
const submitTrips = trips.read().queries;

await k.start();
await new Promise((resolve) => setTimeout(resolve, 1000));
const n = 600;
for (let i = 0; i < n; i++) {
  const mark = { called: performance.now() };
  marks.push(mark);
  void k.submit(noop, { i }).then(() => (mark.resolved = performance.now()));
  await new Promise((resolve) => setTimeout(resolve, 5));
}
await new Promise((resolve) => setTimeout(resolve, 1500));
await k.stop();

const done = marks.filter((m) => m.started !== undefined && m.resolved !== undefined);
const pct = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))].toFixed(2);
};
const line = (name, values) =>
  `${name.padEnd(26)} p50 ${pct(values, 0.5)}  p90 ${pct(values, 0.9)}  p99 ${pct(values, 0.99)} ms`;
console.log(`${done.length} of ${n} jobs started; a submit alone: ${submitTrips} round trips`);
console.log(
  line(
    "submit -> committed",
    done.map((m) => m.resolved - m.called),
  ),
);
console.log(
  line(
    "committed -> step start",
    done.map((m) => m.started - m.resolved),
  ),
);
console.log(
  line(
    "enqueue-to-start",
    done.map((m) => m.started - m.called),
  ),
);
console.log(
  `started before its submit resolved: ${done.filter((m) => m.started < m.resolved).length}`,
);

// the floor on this server: one INSERT in its own transaction, same pace, one connection
const pg = createRequire(join(dist, "src", "index.js"))("pg");
const client = new pg.Client({ connectionString: pgUrl });
await client.connect();
await client.query(`CREATE TABLE ${schema}.floor (id serial PRIMARY KEY, v int)`);
const floor = [];
for (let i = 0; i < 300; i++) {
  const t = performance.now();
  await client.query(`INSERT INTO ${schema}.floor (v) VALUES ($1)`, [i]);
  floor.push(performance.now() - t);
  await new Promise((resolve) => setTimeout(resolve, 5));
}
console.log(line("one INSERT, autocommit", floor));
await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
await client.end();
removeDir(home);
