import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { JsonValue } from "../core/canonical-json.js";
import type { Store } from "../store/store.js";
import type { SourceDefinition } from "../store/sources.js";
import type { Logger } from "./logger.js";
import { fileKey, missedTick, nextTick, tickKey, watchPollMs } from "./sources.js";

/**
 * The node's clock for its sources. At start it upserts the configured sources (pause state is
 * kept), runs at most one catch-up tick per source for the most recent time missed while no node
 * ran, and arms an unref'd timer per cron or interval source. A tick submits its run under the
 * idempotency key `source:<name>:<tick ISO>`: the runs' unique (pipeline, key) index makes two
 * nodes ticking the same time create one run. A paused source's ticks create nothing.
 */
export interface TickSubmitter {
  (def: SourceDefinition, idempotencyKey: string, input: JsonValue): Promise<{ created: boolean }>;
}

export interface SchedulerHooks {
  /** a watch source created a run from a file of `bytes` bytes (not called for a file seen before) */
  fileSubmitted?: (def: SourceDefinition, bytes: number) => void;
}

export interface SchedulerDeps {
  store: Store;
  /** the configured sources, checked */
  sources: readonly SourceDefinition[];
  /** stores one run of a source's tick */
  submit: TickSubmitter;
  log: Logger;
  hooks?: SchedulerHooks;
}

/** A source this node could not tick or scan: its last error, until it next succeeds. */
export interface SourceProblem {
  source: string;
  error: string;
  at: number;
}

/** setTimeout's limit; a longer wait is re-armed in steps */
const maxDelay = 2_147_483_647;

export class Scheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;
  /** files a watch source already submitted from this node (the store's key decides across nodes) */
  private readonly seenFiles = new Map<string, Set<string>>();
  /** the last failure per source (tick or scan), cleared by its next success */
  private readonly failures = new Map<string, SourceProblem>();

  private readonly store: Store;
  private readonly defs: readonly SourceDefinition[];
  private readonly submit: TickSubmitter;
  private readonly log: Logger;
  private readonly hooks: SchedulerHooks;

  constructor(deps: SchedulerDeps) {
    this.store = deps.store;
    this.defs = deps.sources;
    this.submit = deps.submit;
    this.log = deps.log;
    this.hooks = deps.hooks ?? {};
  }

  async start(): Promise<void> {
    const now = Date.now();
    if (this.defs.length > 0) await this.store.upsertSources([...this.defs], now);
    for (const def of this.defs) {
      if (def.kind === "manual") continue;
      if (def.kind === "watch") {
        this.armWatch(def, 0);
        continue;
      }
      const stored = await this.store.getSource(def.name);
      if (stored && !stored.paused && stored.lastTickAt !== null) {
        const missed = missedTick(def, stored.lastTickAt, now);
        if (missed !== null) this.track(this.tick(def, missed, false));
      }
      this.arm(def, now);
    }
  }

  /** sources whose last tick or scan on this node failed, for health */
  get problems(): SourceProblem[] {
    return [...this.failures.values()];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled([...this.inFlight]);
  }

  private arm(def: SourceDefinition, after: number): void {
    if (this.stopped) return;
    const at = nextTick(def, after);
    if (at === null) return;
    const delay = Math.min(Math.max(0, at - Date.now()), maxDelay);
    const timer = setTimeout(() => {
      this.timers.delete(def.name);
      // fired early (a clock jump, or a wait longer than setTimeout allows): wait again
      if (Date.now() < at) return this.arm(def, after);
      this.track(this.tick(def, at, true));
    }, delay);
    timer.unref();
    this.timers.set(def.name, timer);
    this.track(
      this.store
        .recordTick(def.name, null, at)
        .catch((error: unknown) =>
          this.log.error({ source: def.name, err: error }, "store write failed"),
        ),
    );
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async tick(def: SourceDefinition, at: number, rearm: boolean): Promise<void> {
    try {
      const source = await this.store.getSource(def.name);
      if (source && !source.paused && !this.stopped) {
        const result = await this.submit(def, tickKey(def.name, at), def.input);
        await this.store.recordTick(def.name, at, nextTick(def, at));
        if (result.created) this.log.debug({ source: def.name, tick: at }, "source ticked");
      }
      this.failures.delete(def.name);
    } catch (error) {
      this.log.error({ source: def.name, tick: at, err: error }, "source tick failed");
      this.failed(def.name, error);
    } finally {
      // from just before now: a tick due right now is not skipped
      if (rearm) this.arm(def, Math.max(at, Date.now() - 1));
    }
  }

  private failed(source: string, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    const known = this.failures.get(source);
    // keep the first time of an ongoing failure: health says how long it has lasted
    if (known?.error !== message)
      this.failures.set(source, { source, error: message, at: Date.now() });
  }

  private armWatch(def: SourceDefinition, delay: number): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(def.name);
      this.track(this.scan(def));
    }, delay);
    timer.unref();
    this.timers.set(def.name, timer);
  }

  /** Lists the directory and submits a run per file not seen yet (dot-files are skipped). */
  private async scan(def: SourceDefinition): Promise<void> {
    const dir = def.schedule as string;
    try {
      const source = await this.store.getSource(def.name);
      if (!source || source.paused || this.stopped) return;
      const seen = this.seenFiles.get(def.name) ?? new Set<string>();
      this.seenFiles.set(def.name, seen);
      const entries = await readdir(dir, { withFileTypes: true });
      for (const entry of entries) {
        if (this.stopped || !entry.isFile() || entry.name.startsWith(".")) continue;
        const path = join(dir, entry.name);
        const info = await stat(path).catch(() => undefined);
        if (!info) continue; // gone meanwhile
        const key = fileKey(def.name, entry.name, info.size, info.mtimeMs);
        if (seen.has(key)) continue;
        const file = {
          path,
          name: entry.name,
          size: info.size,
          modified_at: new Date(info.mtimeMs).toISOString(),
        };
        const base = def.input;
        const input: JsonValue =
          base !== null && typeof base === "object" && !Array.isArray(base)
            ? { ...base, file }
            : { input: base, file };
        const { created } = await this.submit(def, key, input);
        seen.add(key);
        if (created) this.hooks.fileSubmitted?.(def, info.size);
      }
      const now = Date.now();
      await this.store.recordTick(def.name, now, now + watchPollMs);
      this.failures.delete(def.name);
    } catch (error) {
      // once per distinct failure, not every 500 ms (a missing directory stays missing)
      const message = (error as Error).message;
      if (this.failures.get(def.name)?.error !== message)
        this.log.error({ source: def.name, dir, err: error }, "watch source scan failed");
      this.failed(def.name, error);
    } finally {
      this.armWatch(def, watchPollMs);
    }
  }
}
