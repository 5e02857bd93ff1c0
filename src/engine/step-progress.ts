import { InvalidInputError } from "../core/errors/definition-errors.js";
import type { ProgressReport } from "../core/step-context.js";
import type { StepProgress, Store } from "../store/store.js";
import type { Logger } from "./logger.js";

/** a report as the store keeps it: counts or null, the message cut to size */
export interface CheckedReport {
  done: number | null;
  total: number | null;
  message: string | null;
}

const messageMax = 500;

/** Checks what a step passed to `ctx.progress({...})`; a wrong value fails loudly, naming it. */
export function checkReport(report: ProgressReport): CheckedReport {
  const count = (field: "done" | "total"): number | null => {
    const value = report[field];
    if (value === undefined) return null;
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0)
      throw new InvalidInputError(
        `ctx.progress: ${field} must be a finite number >= 0, got ${String(value)}`,
        { field },
      );
    return value;
  };
  const message = report.message;
  if (message !== undefined && typeof message !== "string")
    throw new InvalidInputError("ctx.progress: message must be a string", { field: "message" });
  return {
    done: count("done"),
    total: count("total"),
    message: message === undefined ? null : message.slice(0, messageMax),
  };
}

interface Slot {
  lastWrite: number;
  pending: StepProgress | undefined;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Writes step progress to the store, at most once per `intervalMs` per run and step: a chatty
 * step (a report per row) costs one write per interval, and its latest report is always written,
 * at the latest `intervalMs` after it was made, or at once when the step ends (flush).
 */
export class ProgressWriter {
  private readonly slots = new Map<string, Slot>();

  constructor(
    private readonly store: Pick<Store, "reportProgress">,
    private readonly log: Logger,
    private readonly intervalMs = 250,
    /** told after each write, so listeners in this process see it at once */
    private readonly onWritten: (p: StepProgress) => void = () => {},
  ) {}

  report(progress: StepProgress): void {
    const key = `${progress.runId}\u0000${progress.step}`;
    let slot = this.slots.get(key);
    if (!slot) this.slots.set(key, (slot = { lastWrite: 0, pending: undefined, timer: undefined }));
    slot.pending = progress;
    if (slot.timer) return;
    const wait = slot.lastWrite + this.intervalMs - Date.now();
    if (wait <= 0) this.write(key, slot);
    else {
      slot.timer = setTimeout(() => this.write(key, slot), wait);
      slot.timer.unref();
    }
  }

  /** the step ended: its last report is written now, and its slot forgotten */
  flush(runId: string, step: string): void {
    const key = `${runId}\u0000${step}`;
    const slot = this.slots.get(key);
    if (!slot) return;
    this.write(key, slot);
    this.slots.delete(key);
  }

  /** writes every pending report (the node is stopping) */
  flushAll(): void {
    for (const [key, slot] of this.slots) this.write(key, slot);
    this.slots.clear();
  }

  private write(key: string, slot: Slot): void {
    clearTimeout(slot.timer);
    slot.timer = undefined;
    const progress = slot.pending;
    if (!progress) return;
    slot.pending = undefined;
    slot.lastWrite = Date.now();
    // progress is a hint for people watching: a failed write is logged, never fails the step
    this.store.reportProgress(progress).then(
      () => this.onWritten(progress),
      (error: unknown) =>
        this.log.warn(
          { err: error, runId: progress.runId, step: progress.step },
          "step progress not stored",
        ),
    );
  }
}
