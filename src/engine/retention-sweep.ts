import { AuditAction } from "../store/audit.js";
import type { RetentionStatus } from "../store/retention-store.js";
import type { Store } from "../store/store.js";
import type { Logger } from "./logger.js";

const dayMs = 86_400_000;

/** How long ended runs are kept; 0 days keeps them for ever. Quarantined runs are not its business. */
export interface RetentionSettings {
  succeededDays: number;
  cancelledDays: number;
  /** runs deleted per transaction: small, so claims and finishes slip in between */
  batchSize?: number;
  /** ms between two batches of one sweep */
  pauseMs?: number;
  /** ms between sweeps */
  intervalMs?: number;
}

export type ResolvedRetentionSettings = Required<RetentionSettings>;

export interface RetentionState {
  succeededDays: number;
  cancelledDays: number;
  /** epoch ms the last sweep ended; null before the first */
  lastSweepAt: number | null;
  /** runs the last sweep deleted */
  lastSweepDeleted: number;
  /** runs this node deleted since it started */
  deletedTotal: number;
  /** why the last sweep stopped early, if it did */
  lastError: string | null;
}

export function resolveRetentionSettings(
  settings: RetentionSettings | false | undefined,
): ResolvedRetentionSettings | null {
  if (!settings) return null;
  const resolved = {
    batchSize: 500,
    pauseMs: 50,
    intervalMs: 60_000,
    ...settings,
  };
  for (const [name, value] of Object.entries(resolved))
    if (!Number.isFinite(value) || value < 0)
      throw new RangeError(`retention.${name} must be a number of 0 or more, got ${value}`);
  if (resolved.batchSize < 1 || !Number.isInteger(resolved.batchSize))
    throw new RangeError(`retention.batchSize must be a whole number of 1 or more`);
  if (resolved.intervalMs < 1000) throw new RangeError("retention.intervalMs must be 1000 or more");
  return resolved;
}

/**
 * Deletes ended runs past their age, off the hot path: a sweep every `intervalMs`, each a series
 * of small batches (one transaction each) with a pause between them, audited once with the count
 * when it deleted anything. Several nodes of one store may sweep at once: a run is deleted once,
 * and the other sweep counts it zero times, so no leader is needed.
 */
export class RetentionSweep {
  private timer: NodeJS.Timeout | undefined;
  private first: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;
  private readonly figures: RetentionState;

  constructor(
    private readonly store: Store,
    private readonly settings: ResolvedRetentionSettings,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.figures = {
      succeededDays: settings.succeededDays,
      cancelledDays: settings.cancelledDays,
      lastSweepAt: null,
      lastSweepDeleted: 0,
      deletedTotal: 0,
      lastError: null,
    };
  }

  get state(): RetentionState {
    return { ...this.figures };
  }

  start(): void {
    if (this.settings.succeededDays === 0 && this.settings.cancelledDays === 0) return;
    const tick = () => {
      this.running ??= this.sweep().finally(() => (this.running = undefined));
    };
    this.timer = setInterval(tick, this.settings.intervalMs);
    this.timer.unref();
    // the first sweep soon after start, not a full interval later
    this.first = setTimeout(tick, Math.min(5000, this.settings.intervalMs));
    this.first.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.first);
    await this.running;
  }

  /** One sweep: every status with a limit, batch after batch, until none is left or it stops. */
  async sweep(): Promise<number> {
    const now = this.now();
    const counts: Record<RetentionStatus, number> = { succeeded: 0, cancelled: 0 };
    const days: Record<RetentionStatus, number> = {
      succeeded: this.settings.succeededDays,
      cancelled: this.settings.cancelledDays,
    };
    let failure: unknown;
    try {
      for (const status of ["succeeded", "cancelled"] as const) {
        if (days[status] === 0) continue;
        const finishedBefore = now - days[status] * dayMs;
        for (;;) {
          if (this.stopped) break;
          const limit = this.settings.batchSize;
          const n = await this.store.deleteEndedRuns({ status, finishedBefore, limit });
          counts[status] += n;
          if (n < limit) break;
          await new Promise((resolve) => setTimeout(resolve, this.settings.pauseMs));
        }
      }
    } catch (error) {
      failure = error;
      this.log.warn({ err: error }, "retention sweep stopped early; the next one goes on");
    }
    const count = counts.succeeded + counts.cancelled;
    this.figures.lastSweepAt = this.now();
    this.figures.lastSweepDeleted = count;
    this.figures.deletedTotal += count;
    this.figures.lastError = failure === undefined ? null : (failure as Error).message;
    if (count > 0) await this.audit(now, count, counts);
    return count;
  }

  private async audit(
    at: number,
    count: number,
    counts: Record<RetentionStatus, number>,
  ): Promise<void> {
    this.log.info({ count, ...counts }, "retention deleted ended runs");
    try {
      await this.store.appendAudit({
        at,
        actor: "keel:retention",
        action: AuditAction.runsRetention,
        target: null,
        reason: null,
        details: {
          count,
          succeeded: counts.succeeded,
          cancelled: counts.cancelled,
          succeededDays: this.settings.succeededDays,
          cancelledDays: this.settings.cancelledDays,
        },
      });
    } catch (error) {
      this.log.warn({ err: error, count }, "could not audit the retention sweep");
    }
  }
}
