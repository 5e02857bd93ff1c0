import { ProgressWriter } from "./step-progress.js";
import { loadTracing } from "./load-tracing.js";
import { untraced, type Tracing } from "./tracing.js";
import { EventEmitter } from "node:events";
import { StoreReach } from "./store-reach.js";
import type { Store } from "../store/store.js";
import { resolveBreakers, type BreakerOptions } from "./breaker-options.js";
import { BreakerProbes } from "./breaker-probes.js";
import { BreakerBoard } from "./breakers.js";
import { Claimer } from "./claimer.js";
import { joinCluster } from "./cluster-join.js";
import { ClusterState, type ClusterHold } from "./cluster-state.js";
import { Dispatcher } from "./dispatcher.js";
import { quarantinePurgeTask, type CleanupTask } from "./disk-cleanup.js";
import { DiskGuard } from "./disk-guard.js";
import { EmergencyWatch, type EmergencyState } from "./emergency.js";
import { ProcessPool } from "./isolation/index.js";
import { Liveness } from "./liveness.js";
import type { NodeEvents } from "./node-events.js";
import type { NodeSnapshot } from "./node-snapshot.js";
import type { Logger } from "./logger.js";
import type { ResolvedNodeOptions } from "./options.js";
import type { PipelineRegistry } from "./registry.js";
import { RetentionSweep } from "./retention-sweep.js";
import { StoreWatch, type StoreRepairRecord, type StoreWatchState } from "./store-watch.js";
import { AuditAction } from "../store/audit.js";
import { WorkerLimit } from "./worker-limit.js";

export interface NodeParts {
  store: Store;
  registry: PipelineRegistry;
  options: ResolvedNodeOptions;
  log: Logger;
  /** keel's version, recorded with the node */
  version: string;
  breakerOptions?: Readonly<Record<string, BreakerOptions>>;
}

/**
 * A node: registers itself, claims runs of the pipelines it knows, executes them with bounded
 * concurrency, heartbeats its leases and recovers runs of dead nodes.
 */
export class KeelNode extends EventEmitter<NodeEvents> {
  private readonly claimer: Claimer;
  /** the slots: runs executing and runs claimed ahead of a free slot */
  private readonly slots: Dispatcher;
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
  /** whether the store answers, and the step writes held in memory while it does not */
  private readonly reach: StoreReach;
  /** deletes old ended runs; undefined when retention is off */
  private readonly retention: RetentionSweep | undefined;
  /** the disk guard's retention tasks; more can be added until the node stops */
  private readonly cleanupTasks: CleanupTask[] = [];
  private state: "idle" | "running" | "stopping" | "stopped" = "idle";
  /** set by a forced stop, or by hurryStop() during a graceful one */
  private forced = false;
  private settleForced!: () => void;
  /** settles once the stop is forced: what the stop waits for, it then waits for no longer */
  private readonly whenForced = new Promise<void>((resolve) => (this.settleForced = resolve));
  private unsubscribe: (() => void) | undefined;
  /** when start() began claiming (epoch ms) */
  private startedAt = 0;
  /** what the cluster says of this node: draining, token revoked, forgotten */
  private readonly cluster: ClusterState;
  /** a step finished here since the last heartbeat */
  private progressed = false;

  private readonly store: Store;
  private readonly registry: PipelineRegistry;
  readonly options: ResolvedNodeOptions;
  private readonly log: Logger;
  private readonly version: string;
  private readonly breakerOptions: Readonly<Record<string, BreakerOptions>>;
  private tracing: Tracing = untraced;
  private readonly progress: ProgressWriter;

  constructor(parts: NodeParts) {
    super();
    this.setMaxListeners(0);
    const { store, registry, options, log } = parts;
    this.store = store;
    this.registry = registry;
    this.options = options;
    this.log = log;
    this.reach = new StoreReach(Date.now, (outageMs) =>
      log.warn({ outageMs }, "the store answers again after an outage"),
    );
    this.version = parts.version;
    this.breakerOptions = parts.breakerOptions ?? {};
    const { nodeId, leaseMs, pollMs, heartbeatMs, host, pidCheckMs } = options;
    this.progress = new ProgressWriter(store, log, 250, (p) => this.emit("stepProgress", p));
    const pools = options.cluster.pools;
    this.claimer = new Claimer({
      store,
      log,
      nodeId,
      leaseMs,
      pollMs,
      pipelines: () => registry.names(),
      freeSlots: () => this.slots.roomToClaim(),
      capabilities: options.capabilities,
      pools: Object.keys(pools),
      poolRoom: (pool) => this.slots.poolRoom(pool, pools[pool] ?? 0),
      minPriority: () => this.workers.minPriority,
      mayClaim: () => this.mayClaim(),
      dispatch: (claimed) => this.slots.dispatch(claimed),
      onStoreFull: () => void this.diskGuard?.check(),
      reach: this.reach,
    });
    this.emergency = new EmergencyWatch(store, (state) => this.onEmergency(state));
    this.pool = new ProcessPool({
      size: options.concurrency,
      killGraceMs: options.isolation.killGraceMs,
      log,
    });
    this.workers = new WorkerLimit(options.workers, log, (state) => {
      this.slots.startHeld();
      this.claimer.wake();
      this.emit("concurrency", state);
    });
    this.slots = new Dispatcher({
      store,
      log,
      registry,
      options,
      pool: this.pool,
      events: this,
      limit: () => this.workers.limit,
      recordStep: (key, ms) => this.workers.recordStep(key, ms),
      mayClaim: () => this.mayClaim(),
      halted: () => this.emergency.state.on,
      breakers: () => this.breakers as BreakerBoard,
      onStorageFull: () => void this.diskGuard?.check(),
      reach: this.reach,
      wake: () => this.claimer.wake(),
      onGivenBack: () => {
        if (this.state === "running") this.claimer.wake();
      },
      tracing: () => this.tracing,
      progress: this.progress,
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
            this.slots.startHeld();
            this.claimer.wake();
          }
          this.emit("disk", state);
        },
        onCleanup: (report) => this.emit("diskCleanup", report),
      });
    }
    if (options.retention) this.retention = new RetentionSweep(store, options.retention, log);
    this.storeWatch = new StoreWatch({
      store,
      log,
      intervalMs: options.storeCheckIntervalMs,
      onChange: (state) => this.onStorage(state),
      onRepaired: (repair) => this.auditRepair(repair),
    });
    this.cluster = new ClusterState({
      log,
      nodeId,
      onChange: (hold) => this.onClusterHold(hold),
      onDrainTimeout: () => this.slots.abortAll("drained"),
    });
    this.on("step", (event) => {
      if (event.status === "succeeded") this.progressed = true;
    });
    this.liveness = new Liveness({
      store,
      log,
      nodeId,
      host,
      process: options.process,
      leaseMs,
      heartbeatMs,
      offlineAfterMs: options.cluster.offlineAfterMs,
      takeProgress: () => {
        const progressed = this.progressed;
        this.progressed = false;
        return progressed;
      },
      onClusterBeat: (beat) => this.cluster.heard(beat),
      pollMs,
      pidCheckMs,
      held: () => this.slots.held(),
      onLost: (runId) => this.slots.lost(runId),
      // nothing is written to a store file while it is checked, repaired, or found damaged
      paused: () => this.storeWatch.blocked,
      onRecovered: () => this.claimer.wake(),
      reach: this.reach,
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
      busy: this.slots.busy,
      claimedAhead: this.slots.claimedAhead,
      workerProcesses: this.pool.processes,
      workerDeaths: this.pool.deaths,
      workers,
      disk: this.diskGuard?.state,
      deadNodes: this.liveness.deadNodes,
      storage: this.storeWatch.state,
      storeReach: this.reach.state,
      cluster: {
        hold: this.cluster.hold,
        offlineAfterMs: this.options.cluster.offlineAfterMs,
        goneAfterMs: this.options.cluster.goneAfterMs,
        stuckAfterMs: this.options.cluster.stuckAfterMs,
      },
      retention: this.retention?.state,
    };
  }

  addDiskCleanup(...tasks: CleanupTask[]): void {
    this.cleanupTasks.push(...tasks);
  }

  async start(): Promise<void> {
    if (this.state !== "idle") throw new Error(`node ${this.id} was already started`);
    const now = Date.now();
    const joinTokenId = await joinCluster(this.store, this.options, this.version);
    await this.store.registerPipelines(this.registry.records(now));
    await this.store.registerNode({
      id: this.id,
      host: this.options.host,
      pid: this.options.pid,
      process: this.options.process,
      capabilities: [...this.options.capabilities],
      version: this.version,
      now,
      pools: { ...this.options.cluster.pools },
      slots: this.options.concurrency,
      joinTokenId,
    });
    // runs of a node that died on this host are released before the first claim
    await this.liveness.recover();
    await this.emergency.start();
    await this.startBreakers();
    await this.diskGuard?.start();
    this.tracing = await loadTracing(this.options.tracing ?? undefined);
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
    this.slots.startStaleCheck();
    this.retention?.start();
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
    if (options.force) this.force();
    // a forced stop waits for no store call: a claim or write whose commit is in doubt waits for
    // a server out of reach, and the runs it touched come back when their leases run out
    const unlessForced = (work: Promise<unknown>) => Promise.race([work, this.whenForced]);
    await unlessForced(this.claimer.stop());
    // runs claimed ahead are not in flight: graceful or forced, they go back at once
    await unlessForced(this.slots.stopHolding("node_stopping"));
    this.workers.stop();
    this.unsubscribe?.();
    // a damaged store commits nothing more: waiting for runs in flight would wait for ever
    if (this.forced || this.storeWatch.state.state === "damaged") this.abortInFlight();
    await unlessForced(this.slots.drained());
    // no child outlives its node: forced, they are killed; graceful, idle ones are let go
    await this.pool.close({ force: this.forced });
    this.progress.flushAll();
    await this.tracing.shutdown().catch((error: unknown) => {
      this.log.warn({ err: error }, "could not export the last spans");
    });
    await this.retention?.stop();
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
    this.force();
    this.log.info(
      { node: this.id, inFlight: this.slots.busy },
      "stop forced: aborting steps in flight",
    );
    this.abortInFlight();
  }

  private force(): void {
    this.forced = true;
    this.settleForced();
  }

  private abortInFlight(): void {
    this.slots.abortAll("stopping");
  }

  /** Re-reads breaker states now (a change made through this process need not wait a poll). */
  async refreshBreakers(): Promise<void> {
    await this.breakers?.refresh();
  }

  /** The breakers of the registered pipelines' steps and of the options, cached and probed. */
  private async startBreakers(): Promise<void> {
    const pipelines = this.registry.names().map((n) => this.registry.require(n));
    const known = resolveBreakers(this.breakerOptions, pipelines);
    this.breakers = new BreakerBoard(this.store, known, this.id, this.log, (t) =>
      this.emit("breaker", t),
    );
    await this.breakers.start();
    this.probes = new BreakerProbes(this.store, this.breakers, this.id, this.log);
    this.probes.start();
  }

  /** Aborts a run in flight here (after the store recorded its cancel). */
  abortRun(runId: string): void {
    this.slots.cancel(runId);
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
      if (state.abort) this.slots.abortAll("emergency");
      void this.slots.giveBackAhead("emergency_stop");
    } else {
      this.log.warn({ actor: state.actor }, "emergency stop off: work resumes");
      this.slots.startHeld();
      this.claimer.wake();
    }
  }

  private onStorage(state: StoreWatchState): void {
    if (state.state === "ok") {
      // leases first (they may be near their end after a long repair), then claims
      void this.liveness.beat().then(() => {
        this.slots.startHeld();
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

  private onClusterHold(hold: ClusterHold | null): void {
    if (hold === null) {
      this.slots.startHeld();
      this.claimer.wake();
      return;
    }
    void this.slots.giveBackAhead(hold === "draining" ? "node_draining" : hold);
    if (hold === "token_revoked")
      void this.store
        .appendAudit({
          at: Date.now(),
          actor: `node:${this.id}`,
          action: AuditAction.nodeBlocked,
          target: this.id,
          reason: "join token revoked",
          details: { host: this.options.host, pid: this.options.pid },
        })
        .catch((error: unknown) => this.log.warn({ err: error }, "could not audit the block"));
  }

  /** why the cluster keeps this node from claiming (draining, token revoked, forgotten), or null */
  get clusterHold(): ClusterHold | null {
    return this.cluster.hold;
  }

  /** false while stopping, on an emergency stop, with the disk guard paused or the store blocked */
  private mayClaim(): boolean {
    return (
      this.state === "running" &&
      this.cluster.hold === null &&
      !this.emergency.state.on &&
      !this.diskGuard?.paused &&
      !this.storeWatch.blocked
    );
  }
}
