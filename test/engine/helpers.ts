// Shared helpers for the engine behaviour tests: a temp KEEL home per test, keel instances that
// are always stopped, gates to hold a step open, and a poll-until helper with a loose deadline.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, expect } from "vitest";
import { keel, step, type Keel, type KeelOptions } from "../../src/index.js";
import type { TransitionRecord } from "../../src/index.js";
import type { ProcessIdentity } from "../../src/store/records.js";
import type { ClaimedRun, Store } from "../../src/store/store.js";
import type { DiskStats } from "../../src/engine/disk-usage.js";

/** Quiet by default; KEEL_TEST_LOG=debug shows the engine's logs. */
export const silentLogger = pino({ level: process.env.KEEL_TEST_LOG ?? "silent" });

/** Small retry delays so retried runs come back within milliseconds. */
export const fastRetry = { baseDelayMs: 5, maxDelayMs: 20 } as const;

export interface Harness {
  /** this test's KEEL home (a fresh temp folder) */
  readonly home: string;
  /** a keel on this test's home (or `options.home`); stopped (forced) after the test */
  make(options?: KeelOptions): Keel;
  /** make() + start() */
  start(options?: KeelOptions): Promise<Keel>;
  /** a second temp home, removed after the test */
  newHome(): string;
  /** a function run after the test, before instances are stopped (open gates, ...) */
  onCleanup(fn: () => void): void;
}

/**
 * Timers made while a test runs, so the test can check that none outlives it. The engine's timers
 * are unref()'d, which hides them from process.getActiveResourcesInfo(); Node marks a timer
 * `_destroyed` once it fired (one-shot) or was cleared, so that is what is checked.
 */
type TrackedTimer = NodeJS.Timeout & { _destroyed?: boolean };
const tracked = new Set<TrackedTimer>();
let tracking = false;
const realSetTimeout = globalThis.setTimeout;
const realSetInterval = globalThis.setInterval;

function track<F extends (...args: never[]) => NodeJS.Timeout>(real: F): F {
  return ((...args: Parameters<F>) => {
    const timer = real(...args) as TrackedTimer;
    if (tracking) tracked.add(timer);
    return timer;
  }) as F;
}

globalThis.setTimeout = Object.assign(
  track(realSetTimeout as never),
  realSetTimeout,
) as typeof setTimeout;
globalThis.setInterval = Object.assign(
  track(realSetInterval as never),
  realSetInterval,
) as typeof setInterval;

function liveTimers(): number {
  let live = 0;
  for (const t of tracked) if (!t._destroyed) live++;
  return live;
}

/**
 * Call once at the top level of a test file (or a describe). Every test gets its own home; all
 * instances it made are stopped afterwards, and the test fails if it left timers running.
 */
export function useHarness(): Harness {
  let homes: string[] = [];
  let instances: Keel[] = [];
  let cleanups: (() => void)[] = [];
  let home = "";

  beforeEach(() => {
    tracked.clear();
    tracking = true;
    home = mkdtempSync(join(tmpdir(), "keel-engine-"));
    homes = [home];
    instances = [];
    cleanups = [];
  });

  afterEach(async () => {
    for (const fn of cleanups) fn();
    // forced: a test that failed half-way may have left a step blocked
    for (const k of instances.reverse()) await k.stop({ force: true });
    for (const h of homes) rmSync(h, { recursive: true, force: true });
    tracking = false;
    // every interval and timeout of the engine is cleared by stop(); short ones may still fire
    await until(() => liveTimers() === 0, {
      timeoutMs: 1000,
      message: `${liveTimers()} timer(s) left running after the test`,
    }).catch(() => undefined);
    expect(liveTimers(), "timers left running after the test").toBe(0);
    tracked.clear();
  });

  const harness: Harness = {
    get home() {
      return home;
    },
    make(options: KeelOptions = {}) {
      const k = keel({ home, logger: silentLogger, retry: fastRetry, ...options });
      instances.push(k);
      return k;
    },
    async start(options: KeelOptions = {}) {
      return harness.make(options).start();
    },
    newHome() {
      const h = mkdtempSync(join(tmpdir(), "keel-engine-"));
      homes.push(h);
      return h;
    },
    onCleanup(fn) {
      cleanups.push(fn);
    },
  };
  return harness;
}

/** A filesystem of 1000 blocks of 4 KiB whose fullness a test sets (the disk guard's statfs). */
export function fakeDisk(percent = 50) {
  const disk = {
    percent,
    calls: 0,
    fail: null as Error | null,
    statfs: (): DiskStats => {
      disk.calls++;
      if (disk.fail) throw disk.fail;
      const free = Math.round(1000 * (1 - disk.percent / 100));
      return { bsize: 4096, blocks: 1000, bfree: free, bavail: free };
    },
  };
  return disk;
}

/** A promise opened from outside. */
export interface Gate {
  readonly promise: Promise<void>;
  readonly opened: boolean;
  open(): void;
}

export function gate(): Gate {
  let open!: () => void;
  let opened = false;
  const promise = new Promise<void>((resolve) => {
    open = () => {
      opened = true;
      resolve();
    };
  });
  return {
    promise,
    get opened() {
      return opened;
    },
    open: () => open(),
  };
}

/**
 * A step that opens `started` when it runs and returns only once `release` is opened (opened by
 * the harness after the test at the latest, so a failed test leaves no step blocked).
 */
export function heldStep(h: Harness, name: string) {
  const started = gate();
  const release = gate();
  h.onCleanup(() => release.open());
  const held = step(name, async () => {
    started.open();
    await release.promise;
    return "done";
  });
  return { step: held, started, release };
}

/**
 * Resolves once `k` has written the start of an attempt of `stepName` (its "running" event): a step
 * still running a turn after it began has its start written on its own, before it finishes.
 */
export function stepStartWritten(k: Keel, stepName: string): Promise<void> {
  return new Promise((resolve) => {
    const on = (e: { step: string; status: string }): void => {
      if (e.step === stepName && e.status === "running") {
        k.off("step", on);
        resolve();
      }
    };
    k.on("step", on);
  });
}

/** Resolves when the signal aborts (or at once if it already did). */
export function abortedPromise(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `check` is truthy; fails after a loose deadline (default 5 s). */
export async function until<T>(
  check: () => T | Promise<T>,
  options: { timeoutMs?: number; message?: string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + (options.timeoutMs ?? 5000);
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline)
      throw new Error(`timed out: ${options.message ?? "condition never held"}`);
    await sleep(10);
  }
}

/** The whole trail, as describeTransitions shows it, of a run of two steps a -> b that succeed. */
export const twoStepTrail = [
  "run:-->pending:submitted",
  "run:pending->running:claimed",
  "a:pending->running:started",
  "a:running->succeeded:checkpoint",
  "b:pending->running:started",
  "b:running->succeeded:checkpoint",
  "run:running->succeeded:completed",
];

/** A compact view of transitions: "step:from->to:reason" (step "run" for the run itself). */
export function describeTransitions(transitions: TransitionRecord[]): string[] {
  return transitions.map((t) => `${t.step ?? "run"}:${t.from ?? "-"}->${t.to}:${t.reason}`);
}

/**
 * Registers `node` in the store, as a node process elsewhere would, and claims up to `limit`
 * (default 1) runs of `pipeline` for it at `now`; `registeredAt` defaults to `now`.
 */
export async function claimAsNode(
  store: Store,
  node: { id: string; host: string; pid: number; process?: ProcessIdentity | null },
  pipeline: string,
  options: { leaseMs: number; now: number; registeredAt?: number; limit?: number },
): Promise<ClaimedRun[]> {
  await store.registerNode({
    ...node,
    capabilities: [],
    version: "test",
    now: options.registeredAt ?? options.now,
  });
  return store.claimRuns({
    nodeId: node.id,
    limit: options.limit ?? 1,
    leaseMs: options.leaseMs,
    now: options.now,
    pipelines: [pipeline],
  });
}
