import { describeFindings, type StorageFinding, type StorageReport } from "../store/storage.js";
import type { Store } from "../store/store.js";
import type { Logger } from "./logger.js";

/**
 * The store watch: checks the store's own storage every `intervalMs` (a quick pass, off the event
 * loop) and at once, fully (a garbled index key shows only to the full check), when a query runs
 * into damage. While damage is suspected or found the
 * node claims nothing and its writes wait (the store refuses them anyway). Damage confined to
 * indexes is repaired on the spot, after which the node carries on; damage to rows is not: the
 * node stays `damaged`, writes nothing more, and health names the restore. A check that cannot run
 * keeps the last state. A store without a storage check leaves the watch `ok` for ever.
 */
export type StoreWatchStatus = "ok" | "checking" | "repairing" | "damaged";

export interface StoreRepairRecord {
  at: number;
  /** what the check had found */
  findings: StorageFinding[];
  actions: string[];
  ms: number;
}

export interface StoreWatchState {
  state: StoreWatchStatus;
  /** when the current state began */
  since: number;
  /** one sentence, for logs and health */
  reason: string;
  /** the damage the last check found (empty when ok) */
  findings: StorageFinding[];
  /** the end of the last check that ran, and its level and length */
  checkedAt: number | null;
  checkLevel: "quick" | "full" | null;
  checkMs: number | null;
  /** 0: only a damaged query starts a check */
  intervalMs: number;
  /** the last repair this node made, kept while it runs */
  lastRepair: StoreRepairRecord | null;
}

export interface StoreWatchOptions {
  store: Store;
  log: Logger;
  intervalMs: number;
  onChange: (state: StoreWatchState) => void;
  /** a repair went through: the store's audit log is told (best effort) */
  onRepaired?: (repair: StoreRepairRecord) => Promise<void>;
  now?: () => number;
}

const firstCheckMaxMs = 10_000;

export class StoreWatch {
  private current: StoreWatchState;
  private timer: NodeJS.Timeout | undefined;
  private looking: Promise<void> | undefined;
  private again: "quick" | "full" | undefined;
  private stopped = true;
  private unsubscribe: (() => void) | undefined;
  private readonly now: () => number;

  constructor(private readonly options: StoreWatchOptions) {
    this.now = options.now ?? Date.now;
    this.current = {
      state: "ok",
      since: this.now(),
      reason: "not checked yet",
      findings: [],
      checkedAt: null,
      checkLevel: null,
      checkMs: null,
      intervalMs: options.intervalMs,
      lastRepair: null,
    };
  }

  get state(): StoreWatchState {
    return this.current;
  }

  /** true while the node must claim nothing: damage suspected, being repaired, or found */
  get blocked(): boolean {
    return this.current.state !== "ok";
  }

  /**
   * Starts watching. The first quick check comes one interval after the start, 10 s at most: soon
   * enough to find damage left by whatever stopped the last node, late enough that it does not
   * compete with the start itself (recovery of a restarted node is measured in milliseconds).
   */
  start(): void {
    if (!this.options.store.checkStorage) return;
    this.stopped = false;
    this.unsubscribe = this.options.store.onStorageFault?.((fault) => this.onFault(fault));
    this.schedule(Math.min(this.options.intervalMs, firstCheckMaxMs));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.looking;
  }

  /** One check now (another asked meanwhile runs right after, at the higher of the levels). */
  check(level: "quick" | "full"): Promise<void> {
    if (this.looking) {
      this.again = this.again === "full" || level === "full" ? "full" : "quick";
      return this.looking;
    }
    this.looking = this.look(level).finally(() => {
      this.looking = undefined;
      const next = this.again;
      this.again = undefined;
      if (next && !this.stopped) void this.check(next);
      else this.schedule();
    });
    return this.looking;
  }

  private onFault(fault: Error): void {
    // damage already found stays found: the periodic check keeps looking
    if (this.stopped || this.current.state === "damaged") return;
    if (this.current.state === "ok") {
      this.options.log.error({ err: fault }, "a store query ran into damage: checking the store");
      this.set("checking", `a query ran into damage (${fault.message})`, []);
    }
    void this.check("full");
  }

  private schedule(ms: number = this.options.intervalMs): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.stopped || this.options.intervalMs <= 0) return;
    this.timer = setTimeout(() => void this.check("quick"), ms);
    this.timer.unref();
  }

  private async look(level: "quick" | "full"): Promise<void> {
    const { store, log } = this.options;
    let report: StorageReport;
    try {
      report = await store.checkStorage!(level);
    } catch (error) {
      if (!this.stopped)
        log.error({ err: error }, "the store check could not run; next on schedule");
      return;
    }
    if (this.stopped) return;
    this.noteCheck(report);
    if (report.ok) {
      if (this.blocked)
        log.warn("the store check finds the file whole: claiming and writes resume");
      this.set("ok", `whole at the last ${report.level} check`, []);
      return;
    }
    const what = describeFindings(report.findings);
    if (!report.repairable || !store.repairStorage) {
      if (this.current.state !== "damaged")
        log.error(
          { findings: report.findings },
          `the store file is damaged beyond what keel repairs (${what}): claiming stopped, nothing more is written to it`,
        );
      this.set("damaged", `damaged: ${what}`, report.findings);
      return;
    }
    await this.repair(report, what);
  }

  private async repair(report: StorageReport, what: string): Promise<void> {
    const { store, log } = this.options;
    log.error(
      { findings: report.findings },
      `the store's indexes are damaged (${what}): repairing`,
    );
    this.set(
      "repairing",
      `damaged indexes, being rebuilt from their tables: ${what}`,
      report.findings,
    );
    const at = this.now();
    try {
      const repair = await store.repairStorage!(report);
      if (this.stopped) return;
      this.noteCheck(repair.report);
      if (!repair.repaired) {
        const left = describeFindings(repair.report.findings);
        log.error(
          { actions: repair.actions, findings: repair.report.findings },
          `the store repair did not make it whole (${left})`,
        );
        this.set("damaged", `damaged, and a repair did not help: ${left}`, repair.report.findings);
        return;
      }
      const record = { at, findings: report.findings, actions: repair.actions, ms: repair.ms };
      this.current = { ...this.current, lastRepair: record };
      log.warn(
        { actions: repair.actions, ms: repair.ms },
        `the store repaired itself (${what}): claiming and writes resume`,
      );
      this.set("ok", `repaired itself: ${repair.actions.join(", ")}`, []);
      await this.options
        .onRepaired?.(record)
        .catch((error: unknown) =>
          log.warn({ err: error }, "could not write the repair to the audit log"),
        );
    } catch (error) {
      log.error({ err: error }, "the store repair failed");
      this.set(
        "damaged",
        `damaged, and the repair failed (${(error as Error).message}): ${what}`,
        report.findings,
      );
    }
  }

  private noteCheck(report: StorageReport): void {
    this.current = {
      ...this.current,
      checkedAt: report.checkedAt + report.ms,
      checkLevel: report.level,
      checkMs: report.ms,
    };
  }

  private set(state: StoreWatchStatus, reason: string, findings: StorageFinding[]): void {
    const changed = state !== this.current.state;
    this.current = {
      ...this.current,
      state,
      reason,
      findings,
      since: changed ? this.now() : this.current.since,
    };
    if (changed) this.options.onChange(this.current);
  }
}
