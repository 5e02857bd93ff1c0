// keel on its embedded SQLite store, through the public library API (dist/, built by `npm run build`).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { keel, pipeline, step } from "../../dist/src/index.js";
import { documentAnalysis } from "../../dist/examples/document-analysis/pipeline.js";
import { benchDir, pgUrl, removeDir, rootDir, tag, tempHome } from "../lib/common.mjs";
import { keelStartArgs } from "../lib/keel-node.mjs";
import { dropSchema, pgDurability } from "../lib/pg.mjs";
import { benchJoinToken } from "../lib/pg-round-trips.mjs";
import { sqliteDriver } from "../lib/sqlite.mjs";

export const name = "keel";

// One keel instance works at a time in the harness; its steps call whatever the case installed.
const active = { handler: null, onStep: null };

/** one no-op step: the unit of cases 1-3 */
export const noop = pipeline("noop", [
  step("noop", async (_ctx, input) => {
    if (active.handler) await active.handler(input);
    return null;
  }),
]);

/** the demo pipeline's 11-step DAG (same names, same `after` edges), every step a no-op */
export const dag11 = pipeline(
  "dag11",
  documentAnalysis.steps.map((s) =>
    step(s.name, s.after.length > 0 ? { after: s.after } : {}, (ctx) => {
      active.onStep?.(ctx.runId, s.name);
      return null;
    }),
  ),
);
export const dagStepCount = dag11.steps.length;

/** the crash case: in the child this step holds (children/keel-hold.mjs); here it records */
const hold = pipeline("hold", [
  step("hold", async (_ctx, input) => {
    if (active.handler) await active.handler(input);
    return null;
  }),
]);

export async function info(variant = {}) {
  if (variant.store === "postgres")
    return { version: `${keelVersion()}${gitDescribe()}`, ...(await pgDurability()) };
  const { sqlite, pkg, version } = await sqliteDriver();
  const full = variant.durability === "full";
  return {
    version: `${keelVersion()}${gitDescribe()}`,
    store: `SQLite ${sqlite} (${pkg.replace(/-v\d+$/, "")} ${version}, WAL, synchronous=${full ? "FULL" : "NORMAL"})`,
    durability: full
      ? "synchronous=FULL: every commit fsynced; survives process crash and power loss"
      : "synchronous=NORMAL (default): survives process crash (kill -9), not power loss / OS crash (last commits may be lost)",
  };
}

function keelVersion() {
  return JSON.parse(readFileSync(join(rootDir, "package.json"), "utf8")).version;
}

let described;
function gitDescribe() {
  described ??= describeGit();
  return described;
}

/** the commit dist/ was most likely built from (read once per run) */
function describeGit() {
  try {
    const sha = execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: rootDir,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "src"], {
      cwd: rootDir,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    return ` (git ${sha}${dirty ? ", src/ modified" : ""})`;
  } catch {
    return "";
  }
}

/**
 * A fresh home folder (so a fresh keel.db) per case. The keel instance is made here because its
 * concurrency and node settings are fixed at construction; `work` starts its node.
 */
export async function setup({ variant = {}, concurrency = 10 } = {}) {
  const config = { home: tempHome("keel"), variant, concurrency };
  if (variant.store !== "postgres") return attach(config);
  // variant.store "postgres": a schema of its own on the bench's server, and a join token for
  // the node (a node joins a PostgreSQL store only with one)
  const token = await benchJoinToken(join(rootDir, "dist"));
  const ctx = await attach({ ...config, schema: `bench_keel_${tag()}`, joinToken: token.token });
  await token.grant(ctx.k.store);
  return ctx;
}

/** the KEEL_STORE of a keel on PostgreSQL (config.schema), for this process and its children */
export function storeUrl(config) {
  return `${pgUrl}${pgUrl.includes("?") ? "&" : "?"}schema=${config.schema}`;
}

/** a keel instance on an existing home (also used by the producer child process) */
export async function attach(config) {
  const { home, variant, concurrency } = config;
  const options = {
    home,
    pipelines: [noop, dag11, hold],
    concurrency,
    durability: variant.durability ?? "normal",
  };
  if (variant.leaseMs) options.leaseMs = variant.leaseMs;
  if (variant.heartbeatMs) options.heartbeatMs = variant.heartbeatMs;
  if (variant.pollMs) options.pollMs = variant.pollMs;
  if (config.joinToken) options.cluster = { joinToken: config.joinToken };
  return { config, home, variant, concurrency, k: openKeel(options, config), listeners: [] };
}

/** keel() on the home's SQLite file, or on the PostgreSQL schema of config.schema (KEEL_STORE) */
function openKeel(options, config) {
  if (!config.schema) return keel(options);
  const before = process.env.KEEL_STORE;
  process.env.KEEL_STORE = storeUrl(config);
  try {
    return keel(options);
  } finally {
    if (before === undefined) delete process.env.KEEL_STORE;
    else process.env.KEEL_STORE = before;
  }
}

export async function detach(ctx) {
  await ctx.k.stop();
}

export async function enqueue(ctx, data) {
  await ctx.k.submit(noop, data);
}

export async function enqueueBulk(ctx, list) {
  await ctx.k.submitMany(noop, list);
}

function listen(ctx, event, fn) {
  ctx.k.on(event, fn);
  ctx.listeners.push([event, fn]);
}

export async function work(ctx, concurrency, handler, { onDone } = {}) {
  if (concurrency !== ctx.concurrency)
    throw new Error(
      `keel adapter: setup with concurrency ${ctx.concurrency}, work asked for ${concurrency}`,
    );
  active.handler = handler;
  if (onDone) listen(ctx, "settled", (e) => onDone(e.runId));
  await ctx.k.start();
}

/** runs not yet finished (pending or running) */
export async function pending(ctx) {
  const counts = await ctx.k.store.countRunsByStatus();
  return counts.pending + counts.running;
}

export async function teardown(ctx) {
  await ctx.k.stop();
  for (const [event, fn] of ctx.listeners) ctx.k.off(event, fn);
  active.handler = null;
  active.onStep = null;
  removeDir(ctx.home);
  if (ctx.config.schema) await dropSchema(ctx.config.schema);
}

// ---- case 4: the 11-step DAG
export const chainShape = "the real 11-step DAG (4 detectors in parallel, 3 joins)";

export async function enqueueChains(ctx, runs) {
  await ctx.k.submitMany(
    dag11,
    runs.map((run) => ({ run })),
  );
}

export async function workChains(ctx, concurrency, { onStepStart, onRunDone }) {
  if (concurrency !== ctx.concurrency) throw new Error("keel adapter: concurrency mismatch");
  const first = dag11.steps.find((s) => s.after.length === 0).name;
  active.onStep = (runId, stepName) => onStepStart(runId, stepName === first);
  listen(ctx, "settled", (e) => onRunDone(e.runId));
  await ctx.k.start();
}

// ---- case 5: crash recovery
export const crashVariants = [
  { label: "default (lease_ms 5000, heartbeat_ms 1000, poll_ms 1000)", variant: {} },
  { label: "lease_ms 1000, heartbeat_ms 250", variant: { leaseMs: 1000, heartbeatMs: 250 } },
  {
    label: "dead node on another host (lease expiry), default lease_ms 5000",
    variant: { otherHost: true },
    notes:
      "child started in its own UTS and pid namespaces (unshare --uts --pid) with another hostname, so the pid check cannot apply: recovery waits for the lease",
  },
  {
    label: "dead node on another host (lease expiry), lease_ms 1000, heartbeat_ms 250",
    variant: { otherHost: true, leaseMs: 1000, heartbeatMs: 250 },
    notes: "as above, with the short lease",
  },
];

/** the same crash on a PostgreSQL store: the dead node on another host, its lease expiring */
export const postgresCrashVariants = crashVariants
  .filter((cv) => cv.variant.otherHost)
  .map((cv) => ({ ...cv, variant: { ...cv.variant, store: "postgres" } }));

export async function enqueueHold(ctx, data) {
  await ctx.k.submit(hold, data);
}

/** `keel start --foreground` with a config naming children/keel-hold.mjs, whose step waits forever */
export function holdChild(ctx, concurrency) {
  const v = ctx.variant;
  const node = {};
  if (v.leaseMs) node.lease_ms = v.leaseMs;
  if (v.heartbeatMs) node.heartbeat_ms = v.heartbeatMs;
  const keelArgs = keelStartArgs(ctx.home, {
    pipelines: [join(benchDir, "children", "keel-hold.mjs")],
    concurrency,
    node,
  });
  // on PostgreSQL the child is a node of the same cluster: the store's URL and a join token
  const env = ctx.config.schema
    ? { KEEL_STORE: storeUrl(ctx.config), KEEL_JOIN_TOKEN: ctx.config.joinToken }
    : {};
  if (v.otherHost) {
    return {
      command: "unshare",
      // a pid namespace of its own: nodes judge each other's pids only within one pid namespace
      // (same kernel, same space), so another host name alone no longer hides the dead process.
      // --kill-child: the SIGKILL the harness sends to unshare reaches the node at once
      args: [
        "--uts",
        "--pid",
        "--fork",
        "--kill-child",
        "sh",
        "-c",
        'hostname keel-bench-other-host && exec "$0" "$@"',
        process.execPath,
        ...keelArgs,
      ],
      ready: " running [",
      env,
    };
  }
  return { command: process.execPath, args: keelArgs, ready: " running [", env };
}

export async function workHold(ctx, concurrency, handler) {
  await work(ctx, concurrency, handler);
}
