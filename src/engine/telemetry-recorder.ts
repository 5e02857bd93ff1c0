import type { EventEmitter } from "node:events";
import { KeelErrorCode } from "../core/errors/codes.js";
import { InvalidInputError } from "../core/errors/definition-errors.js";
import { hasKeelCode } from "../core/errors/keel-error.js";
import { minuteOf, telemetryIncrement, type TelemetryIncrement } from "../store/telemetry.js";
import type { Store } from "../store/store.js";
import type { Logger } from "./logger.js";
import type { NodeEvents } from "./node-events.js";
import { TelemetryRollup } from "./telemetry-rollup.js";
import { ActiveClock, type ActiveSlice } from "./telemetry-active.js";

/**
 * Counts what this process sees (step latencies and failures, runs that end, bytes) into
 * per-minute rollups in memory, and adds them to the store's shared rows in one write every
 * `flushMs` and at stop. It never blocks or fails a run: recording is a Map update, and a flush
 * that fails keeps its counts for the next one and logs a warning. A node also deletes rollups
 * older than `retentionDays` at start and every hour.
 */
export interface TelemetryOptions {
  /** how often counts are written to the store, ms (default 5000) */
  flushMs?: number;
  /** rollups older than this are deleted at start and hourly; 0 keeps them forever (default 30) */
  retentionDays?: number;
}

export type ResolvedTelemetryOptions = Readonly<Required<TelemetryOptions>>;

const hourMs = 3_600_000;
const dayMs = 86_400_000;
/** rows held while the store refuses them (full disk, lost store): the oldest minutes go first */
const maxHeldRows = 50_000;

export function resolveTelemetryOptions(options: TelemetryOptions = {}): ResolvedTelemetryOptions {
  const resolved = { flushMs: options.flushMs ?? 5000, retentionDays: options.retentionDays ?? 30 };
  const check = (field: string, value: number, min: number, max: number): void => {
    if (!Number.isInteger(value) || value < min || value > max)
      throw new InvalidInputError(
        `telemetry.${field} must be a whole number from ${min} to ${max}, got ${String(value)}`,
        { field: `telemetry.${field}` },
      );
  };
  check("flushMs", resolved.flushMs, 10, hourMs);
  check("retentionDays", resolved.retentionDays, 0, 36_500);
  return Object.freeze(resolved);
}

export class TelemetryRecorder {
  private readonly pending = new TelemetryRollup();
  private readonly active = new ActiveClock();
  private readonly work = new Set<Promise<void>>();
  private flushTimer: NodeJS.Timeout | undefined;
  private retentionTimer: NodeJS.Timeout | undefined;
  private failing = false;
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    readonly options: ResolvedTelemetryOptions,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Counts a node's events: finished and failed step attempts, runs that end there, bytes. */
  watch(node: EventEmitter<NodeEvents>): void {
    node.on("step", (e) => {
      if (e.status === "succeeded" && e.ms !== undefined)
        this.stepSucceeded(e.pipeline, e.step, e.ms);
      if (e.status === "failed") this.stepFailed(e.pipeline, e.step, e.error?.code ?? "unknown");
    });
    node.on("started", (e) => this.active.started(e.pipeline, this.clock()));
    node.on("settled", (e) => {
      if (e.ended) this.runEnded(e.pipeline, e.ended.status, e.ended.quarantineReason);
      this.addActive(this.active.ended(e.pipeline, this.clock()));
    });
    node.on("progress", (e) => this.bytes(e.pipeline, e.bytes, "processed"));
    node.on("gate", (e) => {
      if (e.status !== "open")
        this.gateDecided(e.pipeline, e.gate, e.timedOut ? "timed_out" : e.status, e.waitedMs);
    });
  }

  /** an approval gate's decision applied, after `waitedMs` of waiting for it */
  gateDecided(pipeline: string, gate: string, label: string, waitedMs: number): void {
    this.add({ pipeline, step: gate, kind: "gate", label, total: waitedMs, max: waitedMs });
  }

  stepSucceeded(pipeline: string, step: string, ms: number): void {
    if (this.stopped) return;
    this.pending.addLatency(minuteOf(this.clock()), pipeline, step, ms);
    this.arm();
  }

  stepFailed(pipeline: string, step: string, code: string): void {
    this.add({ pipeline, step, kind: "failure", label: code });
  }

  runEnded(pipeline: string, status: string, quarantineReason: string | null): void {
    this.add({ pipeline, kind: "run", label: status });
    if (quarantineReason !== null)
      this.add({ pipeline, kind: "quarantine", label: quarantineReason });
  }

  /** `processed`: reported by steps through ctx.progress; `source`: files a watch source took in */
  bytes(pipeline: string, bytes: number, label: "processed" | "source"): void {
    if (Number.isFinite(bytes) && bytes >= 0)
      this.add({ pipeline, kind: "bytes", label, total: bytes });
  }

  /** Deletes expired rollups now and every hour (nothing with retentionDays 0). */
  startRetention(): void {
    if (this.options.retentionDays === 0 || this.stopped || this.retentionTimer) return;
    void this.track(this.expire());
    this.retentionTimer = setInterval(() => void this.track(this.expire()), hourMs);
    this.retentionTimer.unref();
  }

  /** Writes everything counted so far in one store write. */
  async flush(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.addActive(this.active.takeOpen(this.clock()));
    const batch = this.pending.take();
    if (batch.length > 0) await this.track(this.write(batch));
  }

  /** Stops the timers and makes a last flush; what that cannot write is lost with the process. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.retentionTimer);
    await Promise.allSettled([...this.work]);
    await this.flush();
    if (this.pending.size > 0)
      this.log.warn(
        { rows: this.pending.size },
        "telemetry not written at stop; these counts are lost",
      );
  }

  private addActive(slices: ActiveSlice[]): void {
    if (this.stopped) return;
    for (const { minute, pipeline, ms } of slices)
      this.pending.add(
        telemetryIncrement({ minute, pipeline, kind: "active", count: 0, total: ms }),
      );
    if (slices.length > 0) this.arm();
  }

  /** One increment of this minute; the step and label default to "" (the whole run, none). */
  private add(fields: Omit<Parameters<typeof telemetryIncrement>[0], "minute">): void {
    if (this.stopped) return;
    const minute = minuteOf(this.clock());
    this.pending.add(telemetryIncrement({ minute, ...fields }));
    this.arm();
  }

  private arm(): void {
    if (this.flushTimer || this.stopped) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      void this.flush();
    }, this.options.flushMs);
    this.flushTimer.unref();
  }

  private async write(batch: TelemetryIncrement[]): Promise<void> {
    try {
      await this.store.addTelemetry(batch);
      if (this.failing) this.log.warn("telemetry flush works again; the held counts are written");
      this.failing = false;
    } catch (error) {
      // a batch the store refuses as invalid would be refused forever: drop it, say so
      if (hasKeelCode(error, KeelErrorCode.invalidInput)) {
        this.log.warn({ err: error, rows: batch.length }, "telemetry batch refused; dropped");
        return;
      }
      for (const inc of batch) this.pending.add(inc);
      const dropped = this.pending.trim(maxHeldRows);
      if (!this.failing || dropped > 0)
        this.log.warn(
          { err: error, rows: this.pending.size, dropped },
          "telemetry flush failed; the counts are kept for the next flush",
        );
      this.failing = true;
      this.arm();
    }
  }

  private async expire(): Promise<void> {
    const before = minuteOf(this.clock() - this.options.retentionDays * dayMs);
    try {
      const { rows } = await this.store.deleteTelemetryBefore(before);
      if (rows > 0) this.log.info({ rows, before }, "telemetry older than retention_days deleted");
    } catch (error) {
      this.log.warn({ err: error }, "telemetry retention cleanup failed; tried again in an hour");
    }
  }

  private track(work: Promise<void>): Promise<void> {
    this.work.add(work);
    void work.finally(() => this.work.delete(work));
    return work;
  }
}
