import { EventEmitter } from "node:events";
import { BreakerControls } from "./breaker-actions.js";
import { resolveBreakers, type BreakerOptions } from "./breaker-options.js";
import { setEmergencyOff, setEmergencyOn } from "./emergency-actions.js";
import { readEmergency, type EmergencyState } from "./emergency.js";
import { toJsonData, NotJsonError } from "../core/canonical-json.js";
import { InvalidInputError, NotFoundError } from "../core/errors/definition-errors.js";
import { KeelError } from "../core/errors/keel-error.js";
import { UnknownPipelineError } from "../core/errors/definition-errors.js";
import { newRunId, newSeed, newTraceId } from "../core/ids.js";
import type { SourceRecord } from "../store/sources.js";
import { Scheduler } from "./scheduler.js";
import { sourceDefinition, sourcePriorities, type SourceSpec } from "./sources.js";
import { isPipeline, type Pipeline, type PipelineInput } from "../core/pipeline.js";
import { terminalRunStatuses } from "../core/status.js";
import { keelVersion } from "../core/version.js";
import { openStore } from "../store/open-store.js";
import { AuditAction, type AuditPage, type AuditQuery } from "../store/audit.js";
import type { DagNode } from "../core/dag.js";
import type { PurgeResult, RetryResult } from "../store/operator-requests.js";
import type { RunRecord, StepResultRecord, TransitionRecord } from "../store/records.js";
import type { SqliteDurability } from "../store/sqlite/open.js";
import type { NewRun, RunPage, RunQuery, Store } from "../store/store.js";
import { createLogger, type Logger } from "./logger.js";
import {
  pipelineSteps,
  purgeQuarantined,
  retryRun,
  type PurgeOptions,
  type RetryOptions,
} from "./operator-actions.js";
import { KeelNode } from "./node.js";
import { relayNodeEvents, type NodeEvents } from "./node-events.js";
import type { NodeSnapshot } from "./node-snapshot.js";
import type { WorkerDeath, WorkerProcess } from "./isolation/pool.js";
import type { CleanupTask } from "./disk-cleanup.js";
import type { DiskGuardState } from "./disk-guard.js";
import type { WorkerLimitState } from "./worker-limit.js";
import type { DeadNode } from "./liveness.js";
import type { StoreWatchState } from "./store-watch.js";
import { resolveNodeOptions, type NodeOptions } from "./options.js";
import { PipelineRegistry } from "./registry.js";
import { assertRunNotEnded } from "./run-ended.js";
import { inTimeOrder } from "./transition-order.js";
import { checkSubmitOptions, type SubmitOptions } from "./submit-options.js";
import {
  TelemetryRecorder,
  resolveTelemetryOptions,
  type TelemetryOptions,
} from "./telemetry-recorder.js";

/**
 * The library entry: a client (submit, get, wait, cancel, list) and, once started, a node that
 * executes the registered pipelines.
 */
export interface KeelOptions extends NodeOptions {
  /** data folder; default $KEEL_HOME or ~/.keel */
  home?: string;
  /** a store to use instead of opening one (it is not closed by stop()) */
  store?: Store;
  durability?: SqliteDurability;
  pipelines?: Pipeline[];
  /** producers of runs (cron, interval, manual); a started node ticks them */
  sources?: SourceSpec[];
  /** circuit breakers by dependency name (steps name them in `uses`); defaults for the rest */
  breakers?: Record<string, BreakerOptions>;
  logger?: Logger;
  /** per-minute rollups in the store (flush interval, retention); false records nothing */
  telemetry?: TelemetryOptions | false;
}

export type SubmittedRun = RunRecord & { created: boolean };
export interface RunDetails {
  run: RunRecord;
  steps: StepResultRecord[];
  transitions: TransitionRecord[];
}

export class Keel extends EventEmitter<NodeEvents> {
  readonly store: Store;
  readonly log: Logger;
  private readonly registry = new PipelineRegistry();
  /** circuit breakers shared through the store: list, trip, reset */
  readonly breakers: BreakerControls;
  private readonly ownsStore: boolean;
  private node: KeelNode | undefined;
  private scheduler: Scheduler | undefined;
  private readonly telemetry: TelemetryRecorder | undefined;
  private readonly sourceDefs: ReturnType<typeof sourceDefinition>[];
  private readonly diskCleanup: CleanupTask[] = [];
  private readonly sourcePriority: Map<string, number>;
  /** the stop under way, if any: a second stop() joins it (and a forced one hurries it) */
  private stopping: Promise<void> | undefined;
  private stopForced = false;

  constructor(private readonly options: KeelOptions = {}) {
    super();
    this.setMaxListeners(0);
    this.log = options.logger ?? createLogger();
    this.ownsStore = !options.store;
    this.store = options.store ?? openStore({ home: options.home, durability: options.durability });
    if (this.store.schemaWarning)
      this.log.warn({ code: "store_schema_ahead" }, this.store.schemaWarning);
    this.sourceDefs = (options.sources ?? []).map(sourceDefinition);
    if (options.telemetry !== false)
      this.telemetry = new TelemetryRecorder(
        this.store,
        this.log,
        resolveTelemetryOptions(options.telemetry),
      );
    this.sourcePriority = sourcePriorities(options.sources ?? []);
    const names = new Set<string>();
    for (const d of this.sourceDefs) {
      if (names.has(d.name))
        throw new InvalidInputError(`source "${d.name}" is declared twice`, { source: d.name });
      names.add(d.name);
    }
    for (const p of options.pipelines ?? []) this.register(p);
    this.breakers = new BreakerControls(
      this.store,
      // the breakers of the pipelines registered by the time of the call
      () =>
        resolveBreakers(
          options.breakers,
          this.registry.names().map((n) => this.registry.require(n)),
        ),
      () => this.node?.refreshBreakers(),
    );
  }

  register(...pipelines: Pipeline[]): this {
    for (const p of pipelines) {
      if (!isPipeline(p))
        throw new InvalidInputError("register() takes pipelines made with pipeline(name, steps)");
      this.registry.add(p);
    }
    return this;
  }

  get pipelines(): string[] {
    return this.registry.names();
  }

  /**
   * What this instance's node knows first-hand now (slots, child processes, guards, dead nodes,
   * failing sources); undefined until start().
   */
  snapshot(): NodeSnapshot | undefined {
    const node = this.node?.snapshot();
    return node && { ...node, sourceProblems: this.scheduler?.problems ?? [] };
  }

  /** the pids of the node's child processes for isolated steps */
  get workerPids(): number[] {
    return this.workerProcesses.map((w) => w.pid);
  }

  /** the child processes running isolated steps on this instance's node, busy or idle */
  get workerProcesses(): WorkerProcess[] {
    return this.snapshot()?.workerProcesses ?? [];
  }

  /** The nodes this instance's node declared dead (and took runs over from), newest first; at most 10. */
  get deadNodes(): readonly DeadNode[] {
    return this.snapshot()?.deadNodes ?? [];
  }

  /** The worker limit now (fixed or adaptive), CPU pressure and the last change; undefined without a node. */
  get concurrencyState(): WorkerLimitState | undefined {
    return this.snapshot()?.workers;
  }

  /** @deprecated read snapshot()?.nodeId */
  get nodeId(): string | undefined {
    return this.node?.id;
  }

  /** @deprecated read snapshot()?.busy */
  get inFlight(): number {
    return this.snapshot()?.busy ?? 0;
  }

  /** @deprecated read snapshot()?.workerDeaths */
  get workerDeaths(): readonly WorkerDeath[] {
    return this.snapshot()?.workerDeaths ?? [];
  }

  /** @deprecated read snapshot()?.disk */
  get diskState(): DiskGuardState | undefined {
    return this.snapshot()?.disk;
  }

  /** @deprecated read snapshot()?.storage */
  get storageState(): StoreWatchState | undefined {
    return this.snapshot()?.storage;
  }

  /** Adds retention tasks the disk guard runs when the data folder fills up (before or after start). */
  addDiskCleanup(...tasks: CleanupTask[]): this {
    this.diskCleanup.push(...tasks);
    this.node?.addDiskCleanup(...tasks);
    return this;
  }

  async start(): Promise<this> {
    if (this.node)
      throw new KeelError("already_started", "this keel instance already started its node");
    const node = new KeelNode(
      this.store,
      this.registry,
      resolveNodeOptions(this.options),
      this.log,
      keelVersion,
      this.options.breakers,
    );
    relayNodeEvents(node, this);
    node.addDiskCleanup(...this.diskCleanup);
    this.node = node;
    this.telemetry?.watch(node);
    this.telemetry?.startRetention();
    await node.start();
    this.scheduler = new Scheduler(
      this.store,
      this.sourceDefs,
      (def, idempotencyKey, input) =>
        this.submit(def.pipeline, input as never, {
          idempotencyKey,
          source: `source:${def.name}`,
          actor: `source:${def.name}`,
          priority: this.sourcePriority.get(def.name),
        }),
      this.log,
      { fileSubmitted: (def, bytes) => this.telemetry?.bytes(def.pipeline, bytes, "source") },
    );
    await this.scheduler.start();
    return this;
  }

  /**
   * Graceful: claim nothing new, wait for the runs in flight. Forced: abort them, their runs go
   * back to pending. A forced stop while a graceful one waits (a second Ctrl-C, `keel stop
   * --force`) hurries that one; every call resolves once the node stopped.
   */
  stop(options: { force?: boolean } = {}): Promise<void> {
    if (this.stopping) {
      if (options.force) {
        this.stopForced = true;
        this.node?.hurryStop();
      }
      return this.stopping;
    }
    this.stopping = this.shutDown(options);
    return this.stopping;
  }

  private async shutDown(options: { force?: boolean }): Promise<void> {
    this.stopForced = Boolean(options.force);
    await this.scheduler?.stop();
    await this.node?.stop({ force: this.stopForced });
    await this.telemetry?.stop();
    if (this.ownsStore) await this.store.close();
  }

  async submit<P extends Pipeline>(
    pipeline: P | string,
    input: PipelineInput<P>,
    options: SubmitOptions = {},
  ): Promise<SubmittedRun> {
    const [result] = await this.submitMany(pipeline, [input], options);
    return result as SubmittedRun;
  }

  /** Many runs in one transaction: all are stored, or none. */
  async submitMany<P extends Pipeline>(
    pipeline: P | string,
    inputs: PipelineInput<P>[],
    options: SubmitOptions = {},
  ): Promise<SubmittedRun[]> {
    const { name, version } = await this.resolvePipeline(pipeline);
    const opts = checkSubmitOptions(options);
    if (opts.idempotencyKey !== null && inputs.length > 1)
      throw new InvalidInputError(
        "idempotencyKey applies to one run; submit runs one by one to give each its key",
        { field: "idempotencyKey" },
      );
    const now = Date.now();
    const runs: NewRun[] = inputs.map((input, i) => ({
      id: newRunId(),
      pipeline: name,
      pipelineVersion: version,
      input: checkInput(input, inputs.length > 1 ? i : undefined),
      priority: opts.priority,
      idempotencyKey: opts.idempotencyKey,
      source: opts.source,
      traceId: newTraceId(),
      seed: newSeed(),
      scheduledFor: opts.at ?? now,
      createdAt: now,
      actor: opts.actor,
    }));
    // the store's work hint wakes this instance's node (and only when a run was created)
    const results = await this.store.submitRuns(runs);
    return results.map((r) => ({ ...r.run, created: r.created }));
  }

  async get(id: string): Promise<RunRecord | undefined> {
    return this.store.getRun(id);
  }

  async inspect(id: string): Promise<RunDetails> {
    const run = await this.store.getRun(id);
    if (!run) throw new NotFoundError("run", id);
    const [steps, transitions, graph] = await Promise.all([
      this.store.listStepResults(id),
      this.store.listTransitions(id),
      this.pipelineSteps(run.pipeline),
    ]);
    return { run, steps: inDeclaredOrder(steps, graph), transitions: inTimeOrder(transitions) };
  }

  async list(query: Partial<RunQuery> = {}): Promise<RunPage> {
    return this.store.listRuns({ ...query, limit: query.limit ?? 50 });
  }

  /** Store-wide: no node starts a step until it is off; `abort` also aborts steps in flight. */
  async emergencyOn(options: {
    reason: string;
    abort?: boolean;
    actor?: string;
  }): Promise<EmergencyState> {
    const state = await setEmergencyOn(this.store, { ...options, actor: options.actor ?? "api" });
    await this.node?.refreshEmergency();
    return state;
  }

  async emergencyOff(options: { actor?: string; reason?: string } = {}): Promise<EmergencyState> {
    const state = await setEmergencyOff(this.store, { ...options, actor: options.actor ?? "api" });
    await this.node?.refreshEmergency();
    return state;
  }

  async emergencyStatus(): Promise<EmergencyState> {
    return readEmergency(this.store);
  }

  async cancel(id: string, reason: string, actor = "api"): Promise<RunRecord> {
    if (!reason?.trim()) throw new InvalidInputError("cancel needs a reason", { field: "reason" });
    assertRunNotEnded(await this.store.getRun(id));
    const run = await this.store.cancelRun(id, reason, actor, Date.now(), {
      action: AuditAction.runCancel,
    });
    this.node?.abortRun(id);
    // counted here, where every cancel passes, not by the node that held the run (if any did)
    this.telemetry?.runEnded(run.pipeline, "cancelled", null);
    return run;
  }

  /**
   * An operator's retry of a quarantined, cancelled or succeeded run, with a note. Without
   * `fromStep` the run resumes after its last checkpoint; with it, that step and everything
   * downstream run again (upstream checkpoints are kept). `redoDegraded` runs again the steps a
   * fallback served, with everything downstream of them.
   */
  async retry(id: string, options: RetryOptions): Promise<RetryResult> {
    // the store's work hint wakes this instance's node
    return retryRun(this.store, this.registry, id, options, Date.now());
  }

  /** Deletes quarantined runs (or, with dryRun, lists them); needs a filter or `all: true`. */
  async purge(options: PurgeOptions): Promise<PurgeResult> {
    return purgeQuarantined(this.store, options, Date.now());
  }

  /** The operators' audit log, newest first. */
  async audit(query: Partial<AuditQuery> = {}): Promise<AuditPage> {
    return this.store.listAudit({ ...query, limit: query.limit ?? 50 });
  }

  /** Sources known to the store (a node upserts its configured ones at start), by name. */
  async listSources(): Promise<SourceRecord[]> {
    return this.store.listSources();
  }

  async getSource(name: string): Promise<SourceRecord> {
    const source = await this.store.getSource(name);
    if (!source) throw new NotFoundError("source", name);
    return source;
  }

  /** A paused source's ticks create no runs, on every node, until resumed; survives restarts. */
  async pauseSource(name: string, reason: string, actor = "api"): Promise<SourceRecord> {
    if (!reason?.trim()) throw new InvalidInputError("pause needs a reason", { field: "reason" });
    return this.store.pauseSource(name, reason, actor, Date.now(), {
      action: AuditAction.sourcePause,
    });
  }

  async resumeSource(name: string, actor = "api"): Promise<SourceRecord> {
    return this.store.resumeSource(name, actor, Date.now(), { action: AuditAction.sourceResume });
  }

  /** One run of the source now (paused or not), keyed `source:<name>:manual:<id>`. */
  async triggerSource(name: string, actor = "api"): Promise<SubmittedRun> {
    const source = await this.getSource(name);
    return this.submit(source.pipeline, source.input as never, {
      idempotencyKey: `source:${name}:manual:${newRunId()}`,
      source: `source:${name}`,
      actor,
      priority: this.sourcePriority.get(name),
    });
  }

  /** A pipeline's steps: as registered here, else as a node stored them; undefined if unknown. */
  async pipelineSteps(name: string): Promise<DagNode[] | undefined> {
    return pipelineSteps(this.store, this.registry, name);
  }

  /** Resolves when the run reaches succeeded, quarantined or cancelled. */
  async wait(
    id: string,
    options: { timeoutMs?: number; pollMs?: number } = {},
  ): Promise<RunRecord> {
    const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
    const pollMs = options.pollMs ?? 100;
    for (;;) {
      const run = await this.store.getRun(id);
      if (!run) throw new NotFoundError("run", id);
      if (terminalRunStatuses.has(run.status)) return run;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new KeelError(
          "wait_timeout",
          `run ${id} is still ${run.status} after ${options.timeoutMs} ms`,
          { details: { runId: id, status: run.status } },
        );
      await this.nextSettle(id, Math.min(pollMs, left));
    }
  }

  private nextSettle(id: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const onSettled = (e: { runId: string }): void => {
        if (e.runId === id) finish();
      };
      const timer = setTimeout(() => finish(), ms);
      const finish = (): void => {
        clearTimeout(timer);
        this.off("settled", onSettled);
        resolve();
      };
      this.on("settled", onSettled);
    });
  }

  private async resolvePipeline(
    pipeline: Pipeline | string,
  ): Promise<{ name: string; version: string }> {
    if (isPipeline(pipeline)) {
      if (!this.registry.get(pipeline.name)) this.registry.add(pipeline);
      return { name: pipeline.name, version: pipeline.version };
    }
    if (typeof pipeline !== "string")
      throw new InvalidInputError("submit() takes a pipeline or a pipeline name");
    const local = this.registry.get(pipeline);
    if (local) return { name: local.name, version: local.version };
    const known = await this.store.listPipelines();
    const found = known.find((p) => p.name === pipeline);
    if (!found)
      throw new UnknownPipelineError(
        pipeline,
        [...new Set([...this.registry.names(), ...known.map((p) => p.name)])].sort(),
      );
    return { name: found.name, version: found.version };
  }
}

function checkInput(input: unknown, index: number | undefined): ReturnType<typeof toJsonData> {
  try {
    return toJsonData(input);
  } catch (error) {
    if (error instanceof NotJsonError) {
      const where = index === undefined ? "" : ` (input #${index})`;
      throw new InvalidInputError(
        `run input${where} is not JSON data: ${error.message}`,
        { path: error.path },
        error,
      );
    }
    throw error;
  }
}

export function keel(options: KeelOptions = {}): Keel {
  return new Keel(options);
}

/**
 * Steps that started in the same millisecond (a fallback served at once, a fast step and its
 * successor) are listed in the pipeline's declared order rather than by name.
 */
function inDeclaredOrder(
  steps: StepResultRecord[],
  graph: DagNode[] | undefined,
): StepResultRecord[] {
  if (!graph) return steps;
  const index = new Map(graph.map((n, i) => [n.name, i]));
  const rank = (s: StepResultRecord) => index.get(s.step) ?? graph.length;
  return [...steps].sort((a, b) => a.startedAt - b.startedAt || rank(a) - rank(b));
}
