// Shared helpers: clocks, percentiles, waiting, names, connection settings.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const benchDir = join(dirname(fileURLToPath(import.meta.url)), "..");
export const rootDir = join(benchDir, "..");
export const workDir = join(benchDir, ".work");

/** PostgreSQL and Redis of this machine; override with BENCH_PG_URL / BENCH_REDIS_URL. */
export const pgUrl = process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const redisUrl = new URL(process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379");
export const redisConnection = { host: redisUrl.hostname, port: Number(redisUrl.port || 6379) };

/** Epoch milliseconds with sub-millisecond resolution, comparable across processes on one host. */
export function now() {
  return performance.timeOrigin + performance.now();
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A short random tag for queue prefixes, schema names and folders. */
export function tag() {
  return `${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
}

export function tempHome(label) {
  mkdirSync(workDir, { recursive: true });
  return mkdtempSync(join(workDir, `${label}-`));
}

export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
}

/** Nearest-rank percentiles of a list of numbers (ms), rounded to 0.01 ms; nulls when empty. */
export function percentiles(values) {
  if (values.length === 0) return { p50_ms: null, p95_ms: null, p99_ms: null };
  const sorted = Float64Array.from(values).sort();
  const at = (p) =>
    round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]);
  return { p50_ms: at(50), p95_ms: at(95), p99_ms: at(99) };
}

/** p50 and p95 (nearest rank, as `percentiles`) and the max of a list of ms values */
export function spread(values) {
  const { p50_ms, p95_ms } = percentiles(values);
  return { p50: p50_ms, p95: p95_ms, max: values.length ? round(Math.max(...values)) : null };
}

export function round(value, digits = 2) {
  if (value === null || value === undefined || !Number.isFinite(value)) return null;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Polls `check` (sync or async) until it returns true or `timeoutMs` passes; returns whether it did. */
export async function waitUntil(check, timeoutMs, intervalMs = 5) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(intervalMs);
  }
}

/** A promise with its resolve function, for "first time X happens" waits. */
export function signal() {
  let resolve;
  const promise = new Promise((r) => (resolve = r));
  return { promise, resolve };
}

/** Resolves to "timeout" if `promise` does not settle within ms. */
export async function within(promise, ms) {
  let timer;
  const timeout = new Promise((resolve) => (timer = setTimeout(() => resolve("timeout"), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function chunks(list, size) {
  const out = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/** the run with the median `key` among several tries (odd counts: the middle one) */
export function medianBy(tries, key) {
  const sorted = [...tries].sort((a, b) => a[key] - b[key]);
  return sorted[Math.floor(sorted.length / 2)];
}

/** the middle of a list of numbers; the mean of the two middle ones for an even count */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const m = sorted.length >> 1;
  return sorted.length % 2 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
}

/**
 * The built dist/ folders a tool compares, from its arguments (the repository's own by default),
 * as absolute paths; exits naming the first that holds no build.
 */
export function builtDists(args) {
  const dists = (args.length > 0 ? args : [join(rootDir, "dist")]).map((d) => resolve(d));
  const missing = dists.find((d) => !existsSync(join(d, "src", "index.js")));
  if (missing) {
    process.stderr.write(
      `no build in ${missing}: run \`npm run build\` (usage: [dist-a dist-b ...])\n`,
    );
    process.exit(64);
  }
  return dists;
}

/** The machine a run measured, for the report: cores, memory, CPU, Node, OS, load average. */
export function machine() {
  const cpus = os.cpus();
  return {
    nproc: os.availableParallelism?.() ?? cpus.length,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    cpu: cpus[0]?.model?.trim() ?? "?",
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    load: os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" "),
  };
}

/** keel is imported from dist/: build it (npm run build) when it is missing. */
export function ensureBuilt() {
  if (
    existsSync(join(rootDir, "dist", "src", "index.js")) &&
    existsSync(join(rootDir, "dist", "examples", "document-analysis", "pipeline.js"))
  )
    return;
  process.stderr.write("bench: keel is not built; running npm run build...\n");
  const r = spawnSync("npm", ["run", "build"], {
    cwd: rootDir,
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (r.status !== 0) process.exit(1);
}
