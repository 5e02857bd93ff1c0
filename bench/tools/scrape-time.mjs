#!/usr/bin/env node
// What `/metrics` scraped every second takes of a node's CPU with N runs pending (a deep queue is
// what makes the store's counts slow): SECONDS scrapes a second apart, their CPU time over the time
// they span; then one scrape with the store's figures reused (most scrapes), and each store read
// alone. Given
// several built dist/ folders, it times each in turn, several times, and prints the medians.
//   npm run build && node bench/tools/scrape-time.mjs
//   N=20000 SECONDS=30 ROUNDS=3 node bench/tools/scrape-time.mjs bench/.work/dist-before dist
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { builtDists, median, rootDir, workDir } from "../lib/common.mjs";

const N = Number(process.env.N ?? 20000);
const seconds = Number(process.env.SECONDS ?? 30);
const scrapes = 40;
const openMetrics = "application/openmetrics-text; version=1.0.0";

const ms = (x) => +x.toFixed(3);

async function timed(f, times) {
  const took = [];
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    await f();
    took.push(performance.now() - t0);
  }
  return ms(median(took));
}

if (process.argv[2] === "--child") {
  const dist = join(process.argv[3], "src");
  const { keel, pipeline, step } = await import(pathToFileURL(join(dist, "index.js")).href);
  const { createMetrics } = await import(
    pathToFileURL(join(dist, "ops", "metrics", "registry.js")).href
  );
  mkdirSync(workDir, { recursive: true });
  const home = mkdtempSync(join(workDir, "scrape-time-"));
  // the node's slots held by runs that wait for the end: the rest of the backlog stays pending
  let release;
  const held = new Promise((resolve) => (release = resolve));
  const wait = pipeline("wait", [step("wait", () => held)]);
  const k = keel({ home, pipelines: [wait], concurrency: 10 });
  for (let i = 0; i < N; i += 1000)
    await k.submitMany(
      wait,
      Array.from({ length: Math.min(1000, N - i) }, (_, j) => ({ i: i + j })),
    );
  await k.start();
  await new Promise((resolve) => setTimeout(resolve, 500));
  // Prometheus every second, for real: the store is read as often as its reuse allows; what the
  // scrapes take of the node's CPU, as a share of the time scraped
  const everySecond = createMetrics(k);
  const reused = createMetrics(k, { storeCacheMs: 1e9 });
  await reused.scrape(openMetrics);
  let cpuMs = 0;
  const t0 = performance.now();
  for (let i = 0; i < seconds; i++) {
    const cpu0 = process.cpuUsage();
    await everySecond.scrape(openMetrics);
    const cpu = process.cpuUsage(cpu0);
    cpuMs += (cpu.user + cpu.system) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  const scrapedMs = performance.now() - t0;
  const s = k.store;
  const reads = {
    countRunsByStatus: () => s.countRunsByStatus(),
    countWaiting: () => s.countWaiting(),
    placedWaiting: () => s.placedWaiting(Date.now()),
    listNodes: () => s.listNodes(),
  };
  const line = {
    pending: N,
    seconds,
    scraped_every_second_cpu_percent: +((100 * cpuMs) / scrapedMs).toFixed(3),
    scrape_reused_ms: await timed(() => reused.scrape(openMetrics), scrapes),
    bytes: (await reused.scrape(openMetrics)).length,
  };
  for (const [name, read] of Object.entries(reads)) line[`${name}_ms`] = await timed(read, 20);
  for (const m of [everySecond, reused]) m.close();
  release();
  await k.stop();
  rmSync(home, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify(line)}\n`);
  process.exit(0);
}

const dists = builtDists(process.argv.slice(2));
const rounds = Number(process.env.ROUNDS ?? 3);
const seen = new Map(dists.map((d) => [d, []]));
for (let round = 0; round < rounds; round++)
  for (const dist of round % 2 === 0 ? dists : [...dists].reverse()) {
    const r = spawnSync(process.execPath, [process.argv[1], "--child", dist], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    });
    if (r.status !== 0) process.exit(r.status ?? 1);
    const line = JSON.parse(r.stdout.trim());
    seen.get(dist).push(line);
    process.stdout.write(`${JSON.stringify({ build: relative(rootDir, dist), round, ...line })}\n`);
  }
for (const [dist, lines] of seen) {
  const summary = { build: relative(rootDir, dist), rounds };
  for (const key of Object.keys(lines[0])) summary[key] = median(lines.map((l) => l[key]));
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}
