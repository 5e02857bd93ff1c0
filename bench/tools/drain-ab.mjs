#!/usr/bin/env node
// Two builds of keel draining the same backlog, in alternating fresh processes: the way to tell a
// change of a few percent from this machine's drift (its speed moves by 2x within a day).
//   cp -r dist bench/.work/dist-before     # before the change; then change, npm run build
//   node bench/tools/drain-ab.mjs bench/.work/dist-before dist
//   N=20000 C=10 ROUNDS=5 node bench/tools/drain-ab.mjs <dist-a> [<dist-b> ...]
// A build may carry keel options after `::`, to compare settings of one build:
//   node bench/tools/drain-ab.mjs 'dist::{"claimAhead":32}' 'dist::{"claimAhead":150}'
// Each drain: N no-op single-step runs submitted, then a node at concurrency C started and timed
// to the last `settled`. A copied dist/ finds its packages through bench/.work/node_modules, which
// this links to the repository's node_modules. Prints one JSON line per drain and the medians.
// STORE=postgres drains a PostgreSQL store instead (BENCH_PG_URL, a new schema per drain, dropped
// after) and adds the drain's round trips and transactions per run (lib/pg-round-trips.mjs).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { pgUrl, rootDir, tag, workDir } from "../lib/common.mjs";
import { benchJoinToken, countRoundTrips } from "../lib/pg-round-trips.mjs";

const N = Number(process.env.N ?? 20000);
const C = Number(process.env.C ?? 10);

if (process.argv[2] === "--child") {
  const dist = process.argv[3];
  const extra = JSON.parse(process.argv[4] ?? "{}");
  const { keel, pipeline, step } = await import(pathToFileURL(join(dist, "src", "index.js")).href);
  const home = mkdtempSync(join(workDir, "drain-ab-"));
  const postgres = process.env.STORE === "postgres" ? await pgStore(dist) : undefined;
  const noop = pipeline("noop", [step("noop", async () => null)]);
  const cluster = postgres ? { cluster: { joinToken: postgres.join.token } } : {};
  const k = keel({ home, pipelines: [noop], concurrency: C, ...cluster, ...extra });
  await postgres?.join.grant(k.store);
  for (let i = 0; i < N; i += 1000)
    await k.submitMany(
      noop,
      Array.from({ length: Math.min(1000, N - i) }, (_, j) => ({ i: i + j })),
    );
  let done = 0;
  let end;
  const finished = new Promise((r) => (end = r));
  k.on("settled", () => {
    if (++done === N) end();
  });
  postgres?.trips.reset();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await k.start();
  await finished;
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const trips = postgres?.trips.read();
  await k.stop();
  await postgres?.drop();
  rmSync(home, { recursive: true, force: true });
  const line = {
    runs_per_s: Math.round((N / wall) * 1000),
    cpu_us_per_run: +((cpu.user + cpu.system) / N).toFixed(1),
  };
  if (trips) {
    line.round_trips_per_run = +(trips.queries / N).toFixed(2);
    line.transactions_per_run = +(trips.transactions / N).toFixed(3);
  }
  process.stdout.write(`${JSON.stringify(line)}\n`);
  process.exit(0);
}

/** a schema of its own for this drain, named to keel through KEEL_STORE */
async function pgStore(dist) {
  const trips = countRoundTrips(dist);
  const join = await benchJoinToken(dist);
  const schema = `bench_drain_${tag()}`;
  process.env.KEEL_STORE = `${pgUrl}?schema=${schema}`;
  return {
    trips,
    join,
    async drop() {
      const client = new trips.pg.Client({ connectionString: pgUrl });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
}

const dists = process.argv.slice(2);
const split = (spec) => {
  const at = spec.indexOf("::");
  return at < 0 ? [resolve(spec), "{}"] : [resolve(spec.slice(0, at)), spec.slice(at + 2)];
};
if (dists.length === 0 || dists.some((d) => !existsSync(join(split(d)[0], "src", "index.js")))) {
  process.stderr.write(
    "usage: node bench/tools/drain-ab.mjs <dist-a> [<dist-b> ...]  (each a built dist/ folder, optionally ::{keel options})\n",
  );
  process.exit(64);
}
const modules = join(workDir, "node_modules");
if (!existsSync(modules)) symlinkSync(join(rootDir, "node_modules"), modules);

const rounds = Number(process.env.ROUNDS ?? 5);
const seen = new Map(dists.map((d) => [d, []]));
for (let round = 0; round < rounds; round++) {
  // alternate which build goes first, so neither always drains on the warmer machine
  const order = round % 2 === 0 ? dists : [...dists].reverse();
  for (const dist of order) {
    const r = spawnSync(process.execPath, [process.argv[1], "--child", ...split(dist)], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    });
    if (r.status !== 0) process.exit(r.status ?? 1);
    const line = JSON.parse(r.stdout.trim());
    seen.get(dist).push(line);
    process.stdout.write(`${JSON.stringify({ dist, round, ...line })}\n`);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// the machine's speed drifts between rounds more than between neighbours in one round: each
// build's runs/s over the first build's in the same round, then the median of those ratios
const first = seen.get(dists[0]);
for (const [dist, lines] of seen)
  process.stdout.write(
    `${JSON.stringify({
      dist,
      median_runs_per_s: median(lines.map((l) => l.runs_per_s)),
      median_cpu_us_per_run: median(lines.map((l) => l.cpu_us_per_run)),
      ...(lines[0].round_trips_per_run === undefined
        ? {}
        : {
            median_round_trips_per_run: median(lines.map((l) => l.round_trips_per_run)),
            median_transactions_per_run: median(lines.map((l) => l.transactions_per_run)),
          }),
      median_ratio_to_first: +median(
        lines.map((l, i) => l.runs_per_s / first[i].runs_per_s),
      ).toFixed(3),
    })}\n`,
  );
