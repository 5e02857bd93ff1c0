import { existsSync } from "node:fs";
import { statfs } from "node:fs/promises";
import { dirname } from "node:path";
import { runCleanup, type CleanupReport, type CleanupTask } from "./disk-cleanup.js";
import {
  describeUsage,
  diskUsage,
  nextDiskState,
  type DiskState,
  type DiskThresholds,
  type DiskUsage,
  type StatfsFn,
} from "./disk-usage.js";
import type { Logger } from "./logger.js";

/**
 * The disk guard: looks at the free space of the data folder every `intervalMs` (every 100 ms at
 * most while paused, so claiming resumes quickly once space returns) and moves between three
 * states: ok; warn (>= warnPercent: logged, retention cleanup runs); paused (>= pausePercent: the
 * node claims no new run, runs in flight finish, cleanup runs). Each state is left only once usage
 * is `hysteresisPercent` below its threshold. Cleanup runs at once on every move to a fuller
 * state, then every `cleanupIntervalMs` while not ok. A failed statfs keeps the last state.
 */
export interface DiskGuardOptions {
  path: string;
  thresholds: DiskThresholds;
  intervalMs: number;
  cleanupIntervalMs: number;
  tasks: () => readonly CleanupTask[];
  log: Logger;
  onChange: (state: DiskGuardState) => void;
  onCleanup?: (report: CleanupReport) => void;
  statfs?: StatfsFn;
  now?: () => number;
}

export interface DiskGuardState {
  state: DiskState;
  path: string;
  /** null until the first successful look (or while statfs fails from the start) */
  usage: DiskUsage | null;
  thresholds: DiskThresholds;
  /** when the current state began */
  since: number;
  checkedAt: number | null;
  /** one sentence with the figures, for logs and health */
  reason: string;
  /** why the last look failed, or null */
  error: string | null;
  lastCleanup: CleanupReport | null;
}

const pausedIntervalMs = 100;

export class DiskGuard {
  private current: DiskGuardState;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private checking: Promise<DiskGuardState> | undefined;
  private cleaning: Promise<void> | undefined;
  private lastCleanupAt = -Infinity;
  private readonly now: () => number;
  private readonly statfs: StatfsFn;

  constructor(private readonly options: DiskGuardOptions) {
    this.now = options.now ?? Date.now;
    this.statfs = options.statfs ?? ((path) => statfs(path));
    this.current = {
      state: "ok",
      path: options.path,
      usage: null,
      thresholds: options.thresholds,
      since: this.now(),
      checkedAt: null,
      reason: "not checked yet",
      error: null,
      lastCleanup: null,
    };
  }

  get state(): DiskGuardState {
    return this.current;
  }

  get paused(): boolean {
    return this.current.state === "paused";
  }

  /** Looks once before resolving: a node started on a full disk claims nothing. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.check();
    this.schedule();
  }

  /** Stops looking; waits for a cleanup round in progress (it may be writing to the store). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.checking;
    await this.cleaning;
  }

  /** One look now (also on a held write: the node need not wait for the next poll). */
  check(): Promise<DiskGuardState> {
    this.checking ??= this.look().finally(() => (this.checking = undefined));
    return this.checking;
  }

  /** Arms the next look; a move to or from paused re-arms it at the new pace. */
  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.stopped) return;
    const ms = this.paused
      ? Math.min(this.options.intervalMs, pausedIntervalMs)
      : this.options.intervalMs;
    this.timer = setTimeout(() => {
      void this.check().then(() => this.schedule());
    }, ms);
    this.timer.unref();
  }

  private async look(): Promise<DiskGuardState> {
    const now = this.now();
    let usage: DiskUsage;
    try {
      usage = diskUsage(await this.statfs(nearestExisting(this.options.path)));
    } catch (error) {
      const message = (error as Error).message;
      if (this.current.error === null)
        this.options.log.warn(
          { err: error, path: this.options.path },
          "disk guard cannot read free space; keeping the last state",
        );
      this.current = { ...this.current, checkedAt: now, error: message };
      return this.current;
    }
    const previous = this.current.state;
    const state = nextDiskState(usage.usedPercent, previous, this.options.thresholds);
    this.current = {
      ...this.current,
      state,
      usage,
      since: state === previous ? this.current.since : now,
      checkedAt: now,
      reason: reasonFor(state, usage, this.options.thresholds),
      error: null,
    };
    if (state !== previous) {
      this.changed(previous);
      if (this.timer) this.schedule();
    }
    const worse = rank[state] > rank[previous];
    if (state !== "ok" && (worse || now - this.lastCleanupAt >= this.options.cleanupIntervalMs))
      this.cleanup(state, now);
    return this.current;
  }

  private changed(previous: DiskState): void {
    const { log } = this.options;
    const fields = { path: this.current.path, ...this.current.usage, from: previous };
    if (this.current.state === "paused") log.error(fields, `disk guard: ${this.current.reason}`);
    else if (this.current.state === "warn") log.warn(fields, `disk guard: ${this.current.reason}`);
    else log.info(fields, `disk guard: ${this.current.reason}`);
    this.options.onChange(this.current);
  }

  private cleanup(state: "warn" | "paused", now: number): void {
    if (this.cleaning || this.options.tasks().length === 0) return;
    this.lastCleanupAt = now;
    this.cleaning = runCleanup(this.options.tasks(), { state, now }, this.options.log)
      .then((report) => {
        this.current = { ...this.current, lastCleanup: report };
        this.options.log.info(
          { tasks: report.tasks, ms: report.ms },
          `disk cleanup: removed ${report.tasks.reduce((n, t) => n + t.removed, 0)} item(s)`,
        );
        this.options.onCleanup?.(report);
      })
      .finally(() => {
        this.cleaning = undefined;
        // what was freed counts at once: claiming may resume without waiting for the next poll
        if (!this.stopped) void this.check();
      });
  }
}

const rank: Record<DiskState, number> = { ok: 0, warn: 1, paused: 2 };

function reasonFor(state: DiskState, usage: DiskUsage, t: DiskThresholds): string {
  const figures = describeUsage(usage);
  const pct = (n: number): string => `${Number(n.toFixed(3))}%`;
  if (state === "paused")
    return `${figures}: claiming paused at >= ${pct(t.pausePercent)} (resumes below ${pct(t.pausePercent - t.hysteresisPercent)}); runs in flight finish`;
  if (state === "warn")
    return `${figures}: above the warning level of ${pct(t.warnPercent)}; claiming pauses at ${pct(t.pausePercent)}`;
  return figures;
}

/** statfs needs a path that exists: a home not created yet is measured by its nearest parent. */
function nearestExisting(path: string): string {
  let current = path;
  while (!existsSync(current) && dirname(current) !== current) current = dirname(current);
  return current;
}
