import type { ProgressWriter } from "./step-progress.js";
import type { Tracing } from "./tracing.js";
import type { EventEmitter } from "node:events";
import type { StoreReach } from "./store-reach.js";
import { LeaseLostError } from "../core/errors/run-errors.js";
import { isolatedSteps } from "../core/isolation.js";
import type { ClaimedRun, Store } from "../store/store.js";
import type { BreakerBoard } from "./breakers.js";
import { ClaimAhead } from "./claim-ahead.js";
import { isolatedRunner, type ProcessPool } from "./isolation/index.js";
import type { Logger } from "./logger.js";
import type { NodeEvents } from "./node-events.js";
import type { ResolvedNodeOptions } from "./options.js";
import type { PipelineRegistry } from "./registry.js";
import { RunExecution, type AbortReason } from "./run-execution.js";

/** how often runs claimed ahead are looked at for one held too long (ms) */
const staleCheckMs = 250;

export interface DispatcherDeps {
  store: Store;
  log: Logger;
  registry: PipelineRegistry;
  options: ResolvedNodeOptions;
  /** child processes for the isolated steps */
  pool: ProcessPool;
  /** the node: started, step, settled, progress and storageFull are emitted on it */
  events: EventEmitter<NodeEvents>;
  /** the worker limit now */
  limit: () => number;
  recordStep: (key: string, ms: number) => void;
  /** false while the node may not start runs (stopping, emergency stop, paused guard, blocked store) */
  mayClaim: () => boolean;
  /** true while the emergency stop is on: no step starts */
  halted: () => boolean;
  breakers: () => BreakerBoard;
  /** a run's write is held because the store's disk is full */
  onStorageFull: () => void;
  /** the node's view of its store's reach (held writes are counted there) */
  reach?: StoreReach;
  /** a slot came free: claim again */
  wake: () => void;
  /** runs claimed ahead went back to pending */
  onGivenBack: () => void;
  /** spans of runs and steps (the node loads it at start) */
  tracing: () => Tracing;
  progress: ProgressWriter;
}

/**
 * The node's slots: runs claimed are executed in a free slot, or held ahead until one frees
 * (claim-ahead.ts); how much to claim follows from the slots taken and the runs held. A slot is
 * handed on as soon as its run's last write is queued, so the next claim joins that commit.
 */
export class Dispatcher {
  private readonly executions = new Map<
    string,
    { execution: RunExecution; done: Promise<void>; startedAt: number }
  >();
  /** executions not winding down yet: the slots taken (see busySlots) */
  private slotsHeld = 0;
  /** runs claimed beyond the free slots, waiting for one */
  private readonly ahead: ClaimAhead;
  private staleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: DispatcherDeps) {
    this.ahead = new ClaimAhead(deps.options.workers.claimAhead);
  }

  /** runs executing now */
  get busy(): number {
    return this.executions.size;
  }

  /** runs claimed beyond the free slots, waiting for one (docs/concepts.md#claiming-ahead) */
  get claimedAhead(): number {
    return this.ahead.size;
  }

  /** the runs whose leases the node holds: executing or held ahead (for the heartbeat) */
  held(): { runId: string; epoch: number; claimedAt: number; settled: boolean }[] {
    return [
      ...[...this.executions.values()].map(({ execution: e }) => ({
        runId: e.run.id,
        epoch: e.lease.epoch,
        claimedAt: e.claimedAt,
        settled: e.settled,
      })),
      ...this.ahead.runs.map(({ claimed, claimedAt }) => ({
        runId: claimed.run.id,
        epoch: claimed.lease.epoch,
        claimedAt,
        settled: false,
      })),
    ];
  }

  /** Looks for runs held ahead too long; nothing is ever held with claiming ahead off. */
  startStaleCheck(): void {
    if (this.deps.options.workers.claimAhead.max === 0) return;
    this.staleTimer = setInterval(() => {
      const stale = this.ahead.takeStale(Date.now());
      if (stale.length > 0) void this.giveBack(stale, "claimed_ahead_unstarted");
    }, staleCheckMs);
    this.staleTimer.unref();
  }

  /** Stops holding runs: those held ahead go back to pending at once (they are not in flight). */
  async stopHolding(reason: string): Promise<void> {
    clearInterval(this.staleTimer);
    await this.giveBackAhead(reason);
  }

  /** Gives every run held ahead back to pending. */
  giveBackAhead(reason: string): Promise<void> {
    return this.giveBack(this.ahead.takeAll(), reason);
  }

  /** Its lease was taken over: a run held ahead is dropped, one in flight stopped. */
  lost(runId: string): void {
    this.ahead.drop(runId);
    this.executions.get(runId)?.execution.abort("lease_lost");
  }

  /** Aborts a run here (after the store recorded its cancel). */
  cancel(runId: string): void {
    if (this.ahead.drop(runId)) return;
    this.executions.get(runId)?.execution.abort("cancelled");
  }

  abortAll(reason: AbortReason): void {
    for (const { execution } of this.executions.values()) execution.abort(reason);
  }

  /** Resolves once every run in flight ended. */
  async drained(): Promise<void> {
    await Promise.allSettled([...this.executions.values()].map((e) => e.done));
  }

  /** free slots, plus the runs to claim ahead of them while runs are short */
  roomToClaim(): number {
    const limit = this.deps.limit();
    const busy = this.busySlots();
    // slots all taken by runs that are not finishing: the mean of past runs no longer tells
    const stuckMs = busy >= limit ? performance.now() - this.newestBusyStart() : 0;
    return Math.max(0, limit - busy) + this.ahead.room(limit, stuckMs);
  }

  /** free slots of a named pool: its size less its runs here, executing or held ahead */
  poolRoom(pool: string, size: number): number {
    let used = 0;
    for (const { execution } of this.executions.values())
      if (!execution.winding && execution.placedIn === pool) used++;
    for (const { claimed } of this.ahead.runs) if (claimed.placement.pool === pool) used++;
    return Math.max(0, size - used);
  }

  /** Runs a claimed run now if a slot is free, else holds it until one is. */
  dispatch(claimed: ClaimedRun): void {
    if (this.ahead.size === 0 && this.busySlots() < this.deps.limit()) {
      this.execute(claimed);
      return;
    }
    this.ahead.hold(claimed, Date.now());
    this.startHeld();
  }

  /**
   * Starts held runs in the slots free now, oldest first. Not while the node may not claim (a
   * paused disk guard, a store being checked or repaired): a held run has not started, and if
   * the pause outlasts it, it goes back to pending for whoever can run it.
   */
  startHeld(): void {
    if (!this.deps.mayClaim()) return;
    while (this.ahead.size > 0 && this.busySlots() < this.deps.limit())
      this.execute(this.ahead.next() as ClaimedRun);
  }

  /**
   * runs that still hold a slot: those whose last write is queued hand theirs on. Counted as they
   * go, not by a walk over the executions: it is read on every dispatch, and the executions still
   * winding down can outnumber the slots (bench/README.md, "Slots counted, not walked").
   */
  private busySlots(): number {
    return this.slotsHeld;
  }

  private newestBusyStart(): number {
    let newest = -Infinity;
    for (const { execution, startedAt } of this.executions.values())
      if (!execution.winding) newest = Math.max(newest, startedAt);
    return newest;
  }

  /** Gives runs claimed ahead back to pending; a run given back nowhere is found by the heartbeat. */
  private async giveBack(runs: ClaimedRun[], reason: string): Promise<void> {
    if (runs.length === 0) return;
    const now = Date.now();
    await Promise.all(
      runs.map((claimed) =>
        this.deps.store.returnRun(claimed.lease, reason, now).catch((error: unknown) => {
          if (error instanceof LeaseLostError) return;
          this.deps.log.warn(
            { err: error, runId: claimed.run.id },
            "could not give back a run claimed ahead; the heartbeat gives it back",
          );
        }),
      ),
    );
    this.deps.onGivenBack();
  }

  private execute(claimed: ClaimedRun): void {
    const pipeline = this.deps.registry.get(claimed.run.pipeline);
    if (!pipeline) {
      this.deps.log.error(
        { runId: claimed.run.id, pipeline: claimed.run.pipeline },
        "claimed a run of an unknown pipeline",
      );
      return;
    }
    const runId = claimed.run.id;
    // The same run may be claimed again here while the execution of its previous claim is still
    // winding down: a retry due at once is claimed during that execution's last write, and a run
    // whose lease ran out unnoticed comes back to this node. That claim bumped the epoch, so the old
    // execution can write nothing more; stop its steps, and make sure that when it ends it does not
    // untrack the new one (which would leave it out of cancel, heartbeat checks and stop()).
    const previous = this.executions.get(runId);
    previous?.execution.abort("lease_lost");
    let holdsSlot = true;
    this.slotsHeld++;
    const handOnSlot = (): void => {
      if (!holdsSlot) return;
      holdsSlot = false;
      this.slotsHeld--;
    };
    const execution = new RunExecution(claimed, pipeline, {
      store: this.deps.store,
      log: this.deps.log,
      retry: this.deps.options.retry,
      halted: this.deps.halted,
      breakers: this.deps.breakers(),
      reach: this.deps.reach,
      onStorageFull: () => {
        this.deps.onStorageFull();
        this.deps.events.emit("storageFull", { runId: claimed.run.id });
      },
      tracing: this.deps.tracing(),
      nodeId: this.deps.options.nodeId,
      onReport: (step, attempt, report) =>
        this.deps.progress.report({ runId, step, attempt, ...report, updatedAt: Date.now() }),
      onStep: (event) => {
        if (event.status !== "running") this.deps.progress.flush(event.runId, event.step);
        if (event.ms !== undefined)
          this.deps.recordStep(`${event.pipeline}/${event.step}`, event.ms);
        this.deps.events.emit("step", event);
      },
      onWrite: (ms) => this.deps.events.emit("storeWrite", { ms }),
      onGate: (event) => this.deps.events.emit("gate", event),
      onProgress: (id, bytes) =>
        this.deps.events.emit("progress", { runId: id, pipeline: claimed.run.pipeline, bytes }),
      runStep:
        isolatedSteps(pipeline).length > 0 ? isolatedRunner(this.deps.pool, pipeline) : undefined,
      poisonAfter: this.deps.options.isolation.poisonAfter,
      onFinishing: () => {
        handOnSlot();
        this.ahead.recordRun(performance.now() - startedAt);
        this.startHeld();
        this.deps.wake();
      },
    });
    const startedAt = performance.now();
    this.deps.events.emit("started", { runId, pipeline: claimed.run.pipeline });
    const finished = execution.execute().finally(() => {
      handOnSlot();
      if (this.executions.get(runId)?.execution === execution) this.executions.delete(runId);
      this.deps.events.emit("settled", {
        runId,
        pipeline: claimed.run.pipeline,
        ended: execution.ended,
      });
      this.startHeld();
      this.deps.wake();
    });
    const done = previous
      ? Promise.allSettled([previous.done, finished]).then(() => undefined)
      : finished;
    this.executions.set(runId, { execution, done, startedAt });
  }
}
