import { EventEmitter } from "node:events";
import type { ClaimedRun, Store } from "../store/store.js";
import { resolveBreakers, type BreakerOptions } from "./breaker-options.js";
import { BreakerProbes } from "./breaker-probes.js";
import { BreakerBoard } from "./breakers.js";
import { ClaimAhead } from "./claim-ahead.js";
import { Claimer } from "./claimer.js";
import { quarantinePurgeTask, type CleanupTask } from "./disk-cleanup.js";
import { DiskGuard } from "./disk-guard.js";
import { EmergencyWatch, type EmergencyState } from "./emergency.js";
import { isolatedSteps } from "../core/isolation.js";
import { isolatedRunner, ProcessPool } from "./isolation/index.js";
import { Liveness } from "./liveness.js";
import type { NodeEvents } from "./node-events.js";
import type { NodeSnapshot } from "./node-snapshot.js";
import type { Logger } from "./logger.js";
import type { ResolvedNodeOptions } from "./options.js";
import type { PipelineRegistry } from "./registry.js";
import { RunExecution } from "./run-execution.js";
import { StoreWatch, type StoreRepairRecord, type StoreWatchState } from "./store-watch.js";
import { AuditAction } from "../store/audit.js";
import { LeaseLostError } from "../core/errors/run-errors.js";
import { WorkerLimit } from "./worker-limit.js";

/** how often runs claimed ahead are looked at for one held too long (ms) */
const staleCheckMs = 250;

/**
 * A node: registers itself, claims runs of the pipelines it knows, executes them with bounded
 * concurrency, heartbeats its leases and recovers runs of dead nodes.
 */
export class KeelNode extends EventEmitter<NodeEvents> {
  private readonly executions = new Map<
    string,
    { execution: RunExecution; done: Promise<void>; startedAt: number }
  >();
  /** executions not winding down yet: the slots taken (see busyExecutions) */
  private slotsHeld = 0;
  private readonly claimer: Claimer;
  /** runs claimed beyond the free slots, waiting for one (claim-ahead.ts) */
  private readonly ahead: ClaimAhead;
  private staleTimer: NodeJS.Timeout | undefined;
  private readonly liveness: Liveness;
  private readonly emergency: EmergencyWatch;
  private breakers: BreakerBoard | undefined;
  private probes: BreakerProbes | undefined;
  /** child processes for isolated steps; none is started until one runs */
  private readonly pool: ProcessPool;
  private readonly diskGuard: DiskGuard | undefined;
  private readonly workers: WorkerLimit;
  /** checks the store file; while it is not ok the node claims nothing */
  private readonly storeWatch: StoreWatch;
  /** the disk guard's retention tasks; more can be added until the node stops */
  private readonly cleanupTasks: CleanupTask[] = [];
  private state: "idle" | "running" | "stopping" | "stopped" = "idle";
  /** set by a forced stop, or by hurryStop() during a graceful one */
  private forced = false;
  private unsubscribe: (() => void) | undefined;
  /** when start() began claiming (epoch ms) */
  private startedAt = 0;

  constructor(
    private readonly store: Store,
    private readonly registry: PipelineRegistry,
    readonly options: ResolvedNodeOptions,
    private readonly log: Logger,
    private readonly version: string,
    private readonly breakerOptions: Readonly<Record<string, BreakerOptions>> = {},
  ) {
    super();
    this.setMaxListeners(0);
    const { nodeId, leaseMs, pollMs, heartbeatMs, host, pidCheckMs } = options;
    this.ahead = new ClaimAhead(options.workers.claimAhead);
    this.claimer = new Claimer({
      store,
      log,
      nodeId,
      leaseMs,
      pollMs,
      pipelines: () => registry.names(),
      freeSlots: () => this.roomToClaim(),
      minPriority: () => this.workers.minPriority,
      mayClaim: () => this.mayClaim(),
      dispatch: (claimed) => this.dispatch(claimed),
      onStoreFull: () => void this.diskGuard?.check(),
    });
    this.emergency = new EmergencyWatch(store, (state) => this.onEmergency(state));
    this.pool = new ProcessPool({
      size: options.concurrency,
      killGraceMs: options.isolation.killGraceMs,
      log,
    });
    this.workers = new WorkerLimit(options.workers, log, (state) => {
      this.startHeld();
      this.claimer.wake();
      this.emit("concurrency", state);
    });
    if (options.disk) {
      const days = options.disk.purgeQuarantineOlderThanDays;
      if (days !== null) this.cleanupTasks.push(quarantinePurgeTask(store, days));
      this.cleanupTasks.push(...options.disk.cleanup);
      this.diskGuard = new DiskGuard({
        ...options.disk,
        log,
        tasks: () => this.cleanupTasks,
        onChange: (state) => {
          if (state.state !== "paused") {
            this.startHeld();
            this.claimer.wake();
          }
          this.emit("disk", state);
        },
        onCleanup: (report) => this.emit("diskCleanup", report),
      });
    }
    this.storeWatch = new StoreWatch({
      store,
      log,
      intervalMs: options.storeCheckIntervalMs,
      onChange: (state) => this.onStorage(state),
      onRepaired: (repair) => this.auditRepair(repair),
    });
    this.liveness = new Liveness({
      store,
      log,
      nodeId,
      host,
      process: options.process,
      leaseMs,
      heartbeatMs,
      pollMs,
      pidCheckMs,
      held: () => [
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
      ],
      onLost: (runId) => {
        this.ahead.drop(runId);
        this.executions.get(runId)?.execution.abort("lease_lost");
      },
      // nothing is written to a store file while it is checked, repaired, or found damaged
      paused: () => this.storeWatch.blocked,
      onRecovered: () => this.claimer.wake(),
    });
  }

  get id(): string {
    return this.options.nodeId;
  }

  /** What this node knows first-hand now; its owner adds the scheduler's source problems. */
  snapshot(): Omit<NodeSnapshot, "sourceProblems"> {
    const workers = this.workers.state;
    return {
      nodeId: this.id,
      pid: this.options.pid,
      startedAt: this.startedAt,
      concurrency: workers.max,
      busy: this.executions.size,
      claimedAhead: this.ahead.size,
      workerProcesses: this.pool.processes,
      workerDeaths: this.pool.deaths,
      workers,
      disk: this.diskGuard?.state,
      deadNodes: this.liveness.deadNodes,
      storage: this.storeWatch.state,
    };
  }

  addDiskCleanup(...tasks: CleanupTask[]): void {
    this.cleanupTasks.push(...tasks);
  }

  async start(): Promise<void> {
    if (this.state !== "idle") throw new Error(`node ${this.id} was already started`);
    const now = Date.now();
    await this.store.registerPipelines(this.registry.records(now));
    await this.store.registerNode({
      id: this.id,
      host: this.options.host,
      pid: this.options.pid,
      process: this.options.process,
      capabilities: [...this.options.capabilities],
      version: this.version,
      now,
    });
    // runs of a node that died on this host are released before the first claim
    await this.liveness.recover();
    await this.emergency.start();
    await this.startBreakers();
    await this.diskGuard?.start();
    this.state = "running";
    this.startedAt = Date.now();
    this.unsubscribe = this.store.onWork(() => {
      void this.emergency.refresh();
      this.claimer.wake();
    });
    this.storeWatch.start();
    this.liveness.start();
    this.workers.start();
    this.claimer.start();
    // nothing is ever held with claiming ahead off: no timer to look for stale runs
    if (this.options.workers.claimAhead.max > 0) {
      this.staleTimer = setInterval(() => {
        const stale = this.ahead.takeStale(Date.now());
        if (stale.length > 0) void this.giveBack(stale, "claimed_ahead_unstarted");
      }, staleCheckMs);
      this.staleTimer.unref();
    }
    this.log.info(
      {
        node: this.id,
        pipelines: this.registry.names(),
        workers: { limit: this.workers.limit, adaptive: this.workers.state.adaptive },
      },
      "node started",
    );
  }

  /** Graceful: claim nothing new and wait for runs in flight. Forced: abort them and give them back. */
  async stop(options: { force?: boolean } = {}): Promise<void> {
    if (this.state === "stopped" || this.state === "idle") {
      this.state = "stopped";
      return;
    }
    this.state = "stopping";
    if (options.force) this.forced = true;
    await this.claimer.stop();
    clearInterval(this.staleTimer);
    // runs claimed ahead are not in flight: graceful or forced, they go back at once
    await this.giveBack(this.ahead.takeAll(), "node_stopping");
    this.workers.stop();
    this.unsubscribe?.();
    // a damaged store commits nothing more: waiting for runs in flight would wait for ever
    if (this.forced || this.storeWatch.state.state === "damaged") this.abortInFlight();
    await Promise.allSettled([...this.executions.values()].map((e) => e.done));
    // no child outlives its node: forced, they are killed; graceful, idle ones are let go
    await this.pool.close({ force: this.forced });
    this.liveness.stop();
    this.emergency.stop();
    this.probes?.stop();
    this.breakers?.stop();
    await this.diskGuard?.stop();
    await this.storeWatch.stop();
    try {
      await this.store.setNodeState(this.id, "offline", Date.now());
    } catch (error) {
      // a full disk or a lost store must not keep the node from stopping; its record goes
      // offline by itself once its heartbeat is old
      this.log.warn({ err: error }, "could not mark the node offline");
    }
    this.state = "stopped";
    this.log.info({ node: this.id }, "node stopped");
  }

  /**
   * Turns a graceful stop under way into a forced one: the steps in flight are aborted now and
   * their runs given back, instead of being waited for. Nothing to do when no stop is under way.
   */
  hurryStop(): void {
    if (this.state !== "stopping" || this.forced) return;
    this.forced = true;
    this.log.info(
      { node: this.id, inFlight: this.executions.size },
      "stop forced: aborting steps in flight",
    );
    this.abortInFlight();
  }

  private abortInFlight(): void {
    for (const { execution } of this.executions.values()) execution.abort("stopping");
  }

  /** Re-reads breaker states now (a change made through this process need not wait a poll). */
  async refreshBreakers(): Promise<void> {
    await this.breakers?.refresh();
  }

  /** The breakers of the registered pipelines' steps and of the options, cached and probed. */
  private async startBreakers(): Promise<void> {
    const pipelines = this.registry.names().map((n) => this.registry.require(n));
    const known = resolveBreakers(this.breakerOptions, pipelines);
    this.breakers = new BreakerBoard(this.store, known, this.id, this.log);
    await this.breakers.start();
    this.probes = new BreakerProbes(this.store, this.breakers, this.id, this.log);
    this.probes.start();
  }

  /** Aborts a run in flight here (after the store recorded its cancel). */
  abortRun(runId: string): void {
    if (this.ahead.drop(runId)) return;
    this.executions.get(runId)?.execution.abort("cancelled");
  }

  /** Re-reads the emergency stop now (a change made through this process need not wait a poll). */
  async refreshEmergency(): Promise<EmergencyState> {
    await this.emergency.refresh();
    return this.emergency.state;
  }

  private onEmergency(state: EmergencyState): void {
    if (state.on) {
      this.log.warn(
        { reason: state.reason, actor: state.actor, abort: state.abort },
        "emergency stop: no step starts until it is off",
      );
      if (state.abort)
        for (const { execution } of this.executions.values()) execution.abort("emergency");
      void this.giveBack(this.ahead.takeAll(), "emergency_stop");
    } else {
      this.log.warn({ actor: state.actor }, "emergency stop off: work resumes");
      this.startHeld();
      this.claimer.wake();
    }
  }

  private onStorage(state: StoreWatchState): void {
    if (state.state === "ok") {
      // leases first (they may be near their end after a long repair), then claims
      void this.liveness.beat().then(() => {
        this.startHeld();
        this.claimer.wake();
      });
    }
    this.emit("storage", state);
  }

  private async auditRepair(repair: StoreRepairRecord): Promise<void> {
    await this.store.appendAudit({
      at: repair.at,
      actor: "keel:store-watch",
      action: AuditAction.storeRepair,
      target: "store",
      reason: `damaged ${[...new Set(repair.findings.map((f) => f.object ?? f.damage))].join(", ")}`,
      details: {
        node: this.id,
        actions: repair.actions,
        ms: repair.ms,
        findings: repair.findings.map((f) => f.message),
      },
    });
  }

  /**
   * runs that still hold a slot: those whose last write is queued hand theirs on. Counted as they
   * go, not by a walk over the executions: it is read on every dispatch, and the executions still
   * winding down can outnumber the slots (bench/README.md, "Slots counted, not walked").
   */
  private busyExecutions(): number {
    return this.slotsHeld;
  }

  /** false while stopping, on an emergency stop, with the disk guard paused or the store blocked */
  private mayClaim(): boolean {
    return (
      this.state === "running" &&
      !this.emergency.state.on &&
      !this.diskGuard?.paused &&
      !this.storeWatch.blocked
    );
  }

  /** free slots, plus the runs to claim ahead of them while runs are short */
  private roomToClaim(): number {
    const limit = this.workers.limit;
    const busy = this.busyExecutions();
    // slots all taken by runs that are not finishing: the mean of past runs no longer tells
    const stuckMs = busy >= limit ? performance.now() - this.newestBusyStart() : 0;
    return Math.max(0, limit - busy) + this.ahead.room(limit, stuckMs);
  }

  private newestBusyStart(): number {
    let newest = -Infinity;
    for (const { execution, startedAt } of this.executions.values())
      if (!execution.winding) newest = Math.max(newest, startedAt);
    return newest;
  }

  /** Runs a claimed run now if a slot is free, else holds it until one is. */
  private dispatch(claimed: ClaimedRun): void {
    if (this.ahead.size === 0 && this.busyExecutions() < this.workers.limit) {
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
  private startHeld(): void {
    if (!this.mayClaim()) return;
    while (this.ahead.size > 0 && this.busyExecutions() < this.workers.limit)
      this.execute(this.ahead.next() as ClaimedRun);
  }

  /** Gives runs claimed ahead back to pending; a run given back nowhere is found by the heartbeat. */
  private async giveBack(runs: ClaimedRun[], reason: string): Promise<void> {
    if (runs.length === 0) return;
    const now = Date.now();
    await Promise.all(
      runs.map((claimed) =>
        this.store.returnRun(claimed.lease, reason, now).catch((error: unknown) => {
          if (error instanceof LeaseLostError) return;
          this.log.warn(
            { err: error, runId: claimed.run.id },
            "could not give back a run claimed ahead; the heartbeat gives it back",
          );
        }),
      ),
    );
    if (this.state === "running") this.claimer.wake();
  }

  private execute(claimed: ClaimedRun): void {
    const pipeline = this.registry.get(claimed.run.pipeline);
    if (!pipeline) {
      this.log.error(
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
      store: this.store,
      log: this.log,
      retry: this.options.retry,
      halted: () => this.emergency.state.on,
      breakers: this.breakers as BreakerBoard,
      onStorageFull: () => {
        void this.diskGuard?.check();
        this.emit("storageFull", { runId: claimed.run.id });
      },
      onStep: (event) => {
        if (event.ms !== undefined)
          this.workers.recordStep(`${event.pipeline}/${event.step}`, event.ms);
        this.emit("step", event);
      },
      onProgress: (id, bytes) =>
        this.emit("progress", { runId: id, pipeline: claimed.run.pipeline, bytes }),
      runStep: isolatedSteps(pipeline).length > 0 ? isolatedRunner(this.pool, pipeline) : undefined,
      poisonAfter: this.options.isolation.poisonAfter,
      onFinishing: () => {
        handOnSlot();
        this.ahead.recordRun(performance.now() - startedAt);
        this.startHeld();
        this.claimer.wake();
      },
    });
    const startedAt = performance.now();
    this.emit("started", { runId, pipeline: claimed.run.pipeline });
    const finished = execution.execute().finally(() => {
      handOnSlot();
      if (this.executions.get(runId)?.execution === execution) this.executions.delete(runId);
      this.emit("settled", { runId, pipeline: claimed.run.pipeline, ended: execution.ended });
      this.startHeld();
      this.claimer.wake();
    });
    const done = previous
      ? Promise.allSettled([previous.done, finished]).then(() => undefined)
      : finished;
    this.executions.set(runId, { execution, done, startedAt });
  }
}
