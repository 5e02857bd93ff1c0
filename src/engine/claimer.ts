import { isStoreFull } from "../core/errors/store-errors.js";
import type { StoreReach } from "./store-reach.js";
import type { Store, ClaimedRun } from "../store/store.js";
import type { Logger } from "./logger.js";

/**
 * Claims work when woken: on submit (in-process hint or another process's commit), when a slot
 * frees, when a delayed run falls due, and on a slow poll as the safety net. One claim at a time;
 * a wake during a claim triggers another round right after.
 */
export interface ClaimerDeps {
  store: Store;
  log: Logger;
  nodeId: string;
  leaseMs: number;
  pollMs: number;
  pipelines: () => readonly string[];
  freeSlots: () => number;
  /** what this node offers: runs whose next step requires more are left to other nodes */
  capabilities?: readonly string[];
  /** the named pools this node serves, each claimed for on its own, after the default pool */
  pools?: readonly string[];
  /** free slots of a named pool */
  poolRoom?: (pool: string) => number;
  /** the lowest priority to claim now (runs below it are deferred), or undefined for all */
  minPriority?: () => number | undefined;
  /** false while draining, stopping or paused */
  mayClaim: () => boolean;
  dispatch: (claimed: ClaimedRun) => void;
  /** a claim failed for a full disk (the node has the disk guard look at once) */
  onStoreFull?: () => void;
  /** the node's view of its store's reach: a claim that reaches the store, or fails to */
  reach?: StoreReach;
}

export class Claimer {
  private claiming: Promise<void> | undefined;
  private again = false;
  private dueTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private stopped = true;

  constructor(private readonly deps: ClaimerDeps) {}

  start(): void {
    this.stopped = false;
    this.pollTimer = setInterval(() => this.wake(), this.deps.pollMs);
    this.pollTimer.unref();
    this.wake();
  }

  /** Stops waking; resolves once a claim in progress has dispatched what it claimed. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.dueTimer) clearTimeout(this.dueTimer);
    await this.claiming;
  }

  wake(): void {
    if (this.stopped) return;
    if (this.claiming) {
      this.again = true;
      return;
    }
    this.claiming = this.round().finally(() => {
      this.claiming = undefined;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  private async round(): Promise<void> {
    const { log } = this.deps;
    try {
      let drained = false;
      for (const pool of ["", ...(this.deps.pools ?? [])])
        drained = (await this.claimFor(pool)) || drained;
      if (drained && !this.stopped) await this.armDueTimer(Date.now());
    } catch (error) {
      // nothing claimed, nothing lost; a disk guard that sees the disk full pauses claiming and
      // wakes the claimer as soon as space returns, sooner than the poll
      if (isStoreFull(error)) this.deps.onStoreFull?.();
      // a server out of reach: nothing is claimed until it answers; said once per outage
      const outage = this.deps.reach?.failed(error);
      if (outage) {
        if (outage === "started")
          log.error({ err: error }, "the store is unreachable: claiming nothing until it is back");
        return;
      }
      log.error({ err: error }, "claiming failed; retrying on the next poll");
    }
  }

  /** Claims runs of one pool while slots are free; true when it found fewer than it asked for. */
  private async claimFor(pool: string): Promise<boolean> {
    const free = (): number =>
      pool === ""
        ? this.deps.freeSlots()
        : Math.min(this.deps.freeSlots(), this.deps.poolRoom?.(pool) ?? 0);
    while (!this.stopped && this.deps.mayClaim()) {
      if (free() <= 0) return false;
      const now = Date.now();
      // counted again when the claim is written: runs finishing in this turn hand on their slots
      let asked = free();
      const claimed = await this.deps.store.claimRuns({
        nodeId: this.deps.nodeId,
        limit: () => (asked = this.deps.mayClaim() ? Math.max(0, free()) : 0),
        leaseMs: this.deps.leaseMs,
        now,
        pipelines: this.deps.pipelines(),
        minPriority: this.deps.minPriority?.(),
        capabilities: this.deps.capabilities,
        pool,
      });
      this.deps.reach?.reached();
      for (const c of claimed) this.deps.dispatch(c);
      if (claimed.length < asked || asked === 0) return true;
    }
    return false;
  }

  /** Sleeps until the next delayed run falls due, if that is sooner than the poll. */
  private async armDueTimer(now: number): Promise<void> {
    const due = await this.deps.store.nextDueAt(this.deps.pipelines(), this.deps.minPriority?.());
    if (due === null || due - now >= this.deps.pollMs || this.stopped) return;
    if (this.dueTimer) clearTimeout(this.dueTimer);
    this.dueTimer = setTimeout(() => this.wake(), Math.max(0, due - Date.now()) + 1);
    this.dueTimer.unref();
  }
}
