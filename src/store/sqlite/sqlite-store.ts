import type {
  AlertDeliveryRecord,
  AlertEventQuery,
  AlertEventRecord,
  AlertLease,
  AlertQueueSummary,
  AlertSilenceRecord,
  AlertStateChange,
  AlertStateRecord,
  DeliveryOutcome,
  NewAlertDelivery,
} from "../alerts.js";
import * as alerts from "./alerts.js";
import type { EndedRunsDeletion, VacuumReport } from "../retention-store.js";
import { EventEmitter } from "node:events";
import type { JsonValue } from "../../core/canonical-json.js";
import type { RunStatus } from "../../core/status.js";
import type { AuditNote, AuditPage, AuditQuery, AuditRecord, NewAuditEntry } from "../audit.js";
import type { OperatorChange, ReasonedChange, SettingChange } from "../operator-change.js";
import type {
  BreakerChange,
  BreakerDefinition,
  BreakerHistoryQuery,
  BreakerRecord,
  BreakerSignal,
  BreakerTransitionRecord,
} from "../breakers.js";
import type { PurgeRequest, PurgeResult, RetryRequest, RetryResult } from "../operator-requests.js";
import type { IntegrityReport, StateDiff } from "../integrity.js";
import type { StoreInventory } from "../inventory.js";
import type { StorageRepair, StorageReport } from "../storage.js";
import type { SourceDefinition, SourceRecord } from "../sources.js";
import type { NewToken, TokenRecord } from "../tokens.js";
import type { GoldenRecord } from "../goldens.js";
import type {
  GateDecision,
  GateOpening,
  GateRecord,
  OpenGateCount,
  OpenGateQuery,
} from "../gates.js";
import type {
  ShadowClaim,
  ShadowComparison,
  ShadowCursor,
  ShadowRecord,
  ShadowTally,
} from "../shadow-rows.js";
import type {
  TelemetryDeleteOptions,
  TelemetryDeleteResult,
  TelemetryIncrement,
  TelemetryQuery,
  TelemetryRecord,
} from "../telemetry.js";
import type {
  ErrorInfo,
  Lease,
  NodeRecord,
  NodeState,
  PipelineRecord,
  RunRecord,
  StepResultRecord,
  TransitionRecord,
} from "../records.js";
import type {
  Checkpoint,
  ClaimRequest,
  ClaimedRun,
  HeldRun,
  NewNode,
  NewRun,
  RunPage,
  RunQuery,
  StepFailure,
  Store,
  SubmitResult,
  TransitionFeedQuery,
  WaitingCounts,
} from "../store.js";
import * as claims from "./claims.js";
import * as cluster from "./cluster.js";
import type { Placement } from "../../core/placement.js";
import type {
  ClusterView,
  JoinTokenRecord,
  NewJoinToken,
  NodeBeat,
  PlacedWaiting,
} from "../cluster-store.js";
import * as audit from "./audit.js";
import * as breakers from "./breakers.js";
import { ChangeWatch } from "./change-watch.js";
import { Checkpointer } from "./checkpointer.js";
import { SqliteContext, recordByName, recordsByName } from "./context.js";
import { breakerFromRow, operatorBreakerEvent } from "../breaker-rows.js";
import { settingAudit } from "../node-rows.js";
import { GroupCommit } from "./group-commit.js";
import * as maintenance from "./maintenance.js";
import { migrateSqlite } from "./migrate.js";
import * as nodes from "./nodes.js";
import * as operatorRuns from "./operator-runs.js";
import * as purge from "./purge.js";
import * as retention from "./retention.js";
import { openSqlite, type SqliteDurability } from "./open.js";
import * as runs from "./runs.js";
import { listRuns } from "./run-list.js";
import * as sources from "./sources.js";
import * as steps from "./steps.js";
import { checkStorageFile } from "./storage-check.js";
import { repairStorageFile } from "./storage-repair.js";
import type { WorkerConnection } from "./worker-connection.js";
import * as tokens from "./tokens.js";
import type { ProgressQuery, StepProgress } from "../progress.js";
import * as goldens from "./goldens.js";
import * as gates from "./gates.js";
import * as shadows from "./shadows.js";
import * as telemetry from "./telemetry.js";
import * as progress from "./progress.js";

export interface SqliteStoreOptions {
  path: string;
  durability?: SqliteDurability;
  /** how often to look for commits by other processes (PRAGMA data_version), ms */
  changePollMs?: number;
  /** reads only, never migrates: for checks beside a live node (writes fail) */
  readonly?: boolean;
  /** how long a write waits for another process's lock before it fails (5000 ms) */
  busyTimeoutMs?: number;
}

/**
 * The embedded store. better-sqlite3 is synchronous: every read runs at once through `read`, and
 * every write goes through `write`, the one wrapper that commits it (shared with the writes of
 * the same turn, or alone where it must see only what is committed) and hints the claimer; no
 * method writes inside a read. Callers are written once for every backend. Its length is the
 * interface's: one thin method per Store method, the work in the helpers (a file per concern).
 */
export class SqliteStore implements Store {
  readonly backend = "sqlite";
  private readonly ctx: SqliteContext;
  private readonly group: GroupCommit;
  private readonly hints = new EventEmitter();
  private changes: ChangeWatch | undefined;
  private checkpointer: Checkpointer | undefined;
  /** worker-thread connections of storage checks and repairs under way */
  private readonly offThread = new Set<WorkerConnection>();
  private closed = false;
  readonly schemaWarning: string | null;

  private constructor(
    ctx: SqliteContext,
    private readonly options: SqliteStoreOptions,
    schemaWarning: string | null = null,
  ) {
    this.ctx = ctx;
    this.schemaWarning = schemaWarning;
    this.group = new GroupCommit(ctx);
    this.hints.setMaxListeners(0);
  }

  static open(options: SqliteStoreOptions): SqliteStore {
    const db = openSqlite({
      path: options.path,
      durability: options.durability ?? "normal",
      readonly: options.readonly,
      busyTimeoutMs: options.busyTimeoutMs,
    });
    let warning: string | null = null;
    try {
      if (!options.readonly) warning = migrateSqlite(db).warning;
    } catch (error) {
      db.close();
      throw error;
    }
    return new SqliteStore(new SqliteContext(db), options, warning);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.group.flush();
    this.changes?.stop();
    await this.checkpointer?.stop();
    await Promise.all([...this.offThread].map((c) => c.close()));
    this.hints.removeAllListeners();
    this.ctx.db.close();
  }

  /**
   * Every write: queued for the next group commit (group-commit.ts) and settled after it, or with
   * `alone`, committed at once in its own transaction (see WriteOptions).
   */
  private write<T>(fn: () => T, options: WriteOptions<T> = {}): Promise<T> {
    const { atomic = false, alone = false, wakes } = options;
    if (alone) {
      try {
        const result = atomic ? fn() : this.ctx.write(fn);
        if (wakes?.(result)) this.hints.emit("work");
        return Promise.resolve(result);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const committed = this.group.write(fn, atomic);
    if (!wakes) return committed;
    return committed.then((result) => {
      if (wakes(result)) this.hints.emit("work");
      return result;
    });
  }
  /** Every read: at once, outside any transaction; damage it meets fences writes. */
  private read<T>(fn: () => T): T {
    return this.ctx.read(fn);
  }

  async registerPipelines(pipelines: PipelineRecord[]): Promise<void> {
    await this.write(() => nodes.registerPipelines(this.ctx, pipelines), atOnceAtomic);
  }
  async listPipelines(): Promise<PipelineRecord[]> {
    return this.read(() => nodes.listPipelines(this.ctx));
  }

  async submitRuns(list: NewRun[]): Promise<SubmitResult[]> {
    return this.write(() => runs.submitRuns(this.ctx, list), {
      wakes: (results) => results.some((r) => r.created),
    });
  }
  async getRun(id: string): Promise<RunRecord | undefined> {
    return this.read(() => runs.getRun(this.ctx, id));
  }
  async listRuns(query: RunQuery): Promise<RunPage> {
    return this.read(() => listRuns(this.ctx, query));
  }
  async countRunsByStatus(): Promise<Record<RunStatus, number>> {
    return this.read(() => runs.countRunsByStatus(this.ctx));
  }
  async countWaiting(): Promise<WaitingCounts> {
    return this.read(() => runs.countWaiting(this.ctx));
  }
  async listStepResults(runId: string): Promise<StepResultRecord[]> {
    return this.read(() => runs.listStepResults(this.ctx, runId));
  }
  async listTransitions(runId: string): Promise<TransitionRecord[]> {
    return this.read(() => runs.listTransitions(this.ctx, runId));
  }
  async nextDueAt(pipelines: readonly string[], minPriority?: number): Promise<number | null> {
    return this.read(() => runs.nextDueAt(this.ctx, pipelines, minPriority));
  }

  async registerNode(node: NewNode): Promise<void> {
    await this.write(() => nodes.registerNode(this.ctx, node), atOnce);
  }
  async setNodeState(nodeId: string, state: NodeState, now: number): Promise<void> {
    await this.write(() => nodes.setNodeState(this.ctx, nodeId, state, now), atOnce);
  }
  async listNodes(): Promise<NodeRecord[]> {
    return this.read(() => nodes.listNodes(this.ctx));
  }
  async heartbeat(nodeId: string, now: number, leaseMs: number): Promise<HeldRun[]> {
    return this.write(() => claims.heartbeat(this.ctx, nodeId, now, leaseMs), atOnceAtomic);
  }

  async clusterView(): Promise<ClusterView> {
    return this.read(() => cluster.clusterView(this.ctx, Date.now()));
  }
  async createJoinToken(token: NewJoinToken, note: AuditNote): Promise<JoinTokenRecord> {
    return this.write(() => cluster.createJoinToken(this.ctx, token, note), atOnce);
  }
  async listJoinTokens(): Promise<JoinTokenRecord[]> {
    return this.read(() => cluster.listJoinTokens(this.ctx));
  }
  async revokeJoinToken(id: string, change: OperatorChange): Promise<JoinTokenRecord> {
    return this.write(() => cluster.revokeJoinToken(this.ctx, id, change), atOnce);
  }
  async useJoinToken(secretHash: string, now: number): Promise<JoinTokenRecord | undefined> {
    return this.write(() => cluster.useJoinToken(this.ctx, secretHash, now), atOnce);
  }
  async nodeBeat(nodeId: string, progressed: boolean, now: number): Promise<NodeBeat | undefined> {
    return this.write(() => cluster.nodeBeat(this.ctx, nodeId, progressed, now), atOnceAtomic);
  }
  async drainNode(
    nodeId: string,
    timeoutMs: number | null,
    change: OperatorChange,
  ): Promise<NodeRecord> {
    return this.write(() => cluster.drainNode(this.ctx, nodeId, timeoutMs, change), atOnce);
  }
  async undrainNode(nodeId: string, change: OperatorChange): Promise<NodeRecord> {
    return this.write(() => cluster.undrainNode(this.ctx, nodeId, change), wakesOnNode);
  }
  async forgetNode(
    nodeId: string,
    change: OperatorChange,
  ): Promise<{ node: NodeRecord; released: string[] }> {
    return this.write(() => cluster.forgetNode(this.ctx, nodeId, change), {
      alone: true,
      wakes: (r) => r.released.length > 0,
    });
  }
  async handOffRun(lease: Lease, placement: Placement, now: number): Promise<void> {
    await this.write(() => cluster.handOffRun(this.ctx, lease, placement, now), wakesAlways);
  }
  async placedWaiting(now: number, sample?: number): Promise<PlacedWaiting[]> {
    return this.read(() => cluster.placedWaiting(this.ctx, now, sample));
  }

  async claimRuns(request: ClaimRequest): Promise<ClaimedRun[]> {
    return this.write(() => claims.claimRuns(this.ctx, request), ownTransaction);
  }
  async startStep(
    lease: Lease,
    step: string,
    attempt: number,
    from: "pending" | "failed",
    now: number,
  ): Promise<void> {
    await this.write(
      () => steps.startStep(this.ctx, lease, step, attempt, from, now),
      ownTransaction,
    );
  }
  async completeStep(lease: Lease, checkpoint: Checkpoint, runOutput?: JsonValue): Promise<void> {
    await this.write(
      () => steps.completeStep(this.ctx, lease, checkpoint, runOutput),
      ownTransaction,
    );
  }
  async recordStepFailure(lease: Lease, failure: StepFailure): Promise<void> {
    await this.write(() => steps.recordStepFailure(this.ctx, lease, failure), ownTransaction);
  }
  async rescheduleRun(
    lease: Lease,
    scheduledFor: number,
    reason: string,
    now: number,
  ): Promise<void> {
    await this.write(
      () => steps.rescheduleRun(this.ctx, lease, scheduledFor, reason, now),
      wakesAlways,
    );
  }
  async quarantineRun(lease: Lease, reason: string, error: ErrorInfo, now: number): Promise<void> {
    await this.write(() => steps.quarantineRun(this.ctx, lease, reason, error, now));
  }
  async returnRun(lease: Lease, reason: string, now: number): Promise<void> {
    await this.write(() => steps.returnRun(this.ctx, lease, reason, now), wakesAlways);
  }
  async deferRun(lease: Lease, breaker: string, until: number, now: number): Promise<void> {
    await this.write(() => steps.deferRun(this.ctx, lease, breaker, until, now), wakesAlways);
  }
  async cancelRun(runId: string, change: ReasonedChange): Promise<RunRecord> {
    return this.write(() => operatorRuns.cancelRun(this.ctx, runId, change));
  }
  async retryRun(runId: string, request: RetryRequest): Promise<RetryResult> {
    return this.write(() => operatorRuns.retryRun(this.ctx, runId, request), wakesAlways);
  }
  async deleteEndedRuns(request: EndedRunsDeletion): Promise<number> {
    return this.write(() => retention.deleteEndedRuns(this.ctx, request));
  }
  async vacuum(): Promise<VacuumReport> {
    if (this.options.path === ":memory:") return { bytesBefore: 0, bytesAfter: 0, tables: [] };
    // VACUUM cannot run inside a transaction: alone, and not wrapped in one
    return this.write(() => retention.vacuum(this.ctx, this.options.path), {
      alone: true,
      atomic: true,
    });
  }
  async purgeRuns(request: PurgeRequest): Promise<PurgeResult> {
    return this.write(() => purge.purgeRuns(this.ctx, request));
  }
  async appendAudit(entry: NewAuditEntry): Promise<AuditRecord> {
    return this.write(() => audit.appendAudit(this.ctx, entry));
  }
  async listAudit(query: AuditQuery): Promise<AuditPage> {
    return this.read(() => audit.listAudit(this.ctx, query));
  }

  async upsertSources(defs: SourceDefinition[], now: number): Promise<void> {
    await this.write(() => sources.upsertSources(this.ctx, defs, now));
  }
  async listSources(): Promise<SourceRecord[]> {
    return this.read(() => sources.listSources(this.ctx));
  }
  async getSource(name: string): Promise<SourceRecord | undefined> {
    return this.read(() => sources.getSource(this.ctx, name));
  }
  async pauseSource(name: string, change: ReasonedChange): Promise<SourceRecord> {
    return this.write(() => sources.setPaused(this.ctx, name, true, change));
  }
  async resumeSource(name: string, change: OperatorChange): Promise<SourceRecord> {
    return this.write(() => sources.setPaused(this.ctx, name, false, change));
  }
  async recordTick(name: string, tickAt: number | null, nextAt: number | null): Promise<void> {
    await this.write(() => sources.recordTick(this.ctx, name, tickAt, nextAt));
  }

  async listTransitionsAfter(query: TransitionFeedQuery): Promise<TransitionRecord[]> {
    return this.read(() => runs.listTransitionsAfter(this.ctx, query));
  }
  async lastTransitionId(): Promise<number> {
    return this.read(() => runs.lastTransitionId(this.ctx));
  }

  async createToken(token: NewToken, note?: AuditNote): Promise<TokenRecord> {
    return this.write(() => tokens.createToken(this.ctx, token, note));
  }
  async getToken(id: string): Promise<TokenRecord | undefined> {
    return this.read(() => tokens.getToken(this.ctx, id));
  }
  async listTokens(): Promise<TokenRecord[]> {
    return this.read(() => tokens.listTokens(this.ctx));
  }
  async revokeToken(id: string, change: OperatorChange): Promise<TokenRecord> {
    return this.write(() => tokens.revokeToken(this.ctx, id, change));
  }
  async touchToken(id: string, at: number): Promise<void> {
    await this.write(() => tokens.touchToken(this.ctx, id, at));
  }

  async saveGolden(golden: GoldenRecord, change: OperatorChange, replace = false): Promise<void> {
    await this.write(() => goldens.saveGolden(this.ctx, golden, change, replace));
  }
  async getGolden(name: string): Promise<GoldenRecord | undefined> {
    return this.read(() => goldens.getGolden(this.ctx, name));
  }
  async listGoldens(): Promise<GoldenRecord[]> {
    return this.read(() => goldens.listGoldens(this.ctx));
  }

  async openGate(lease: Lease, opening: GateOpening, now: number): Promise<GateRecord> {
    return this.write(() => gates.openGate(this.ctx, lease, opening, now), wakesAlways);
  }
  async getGate(runId: string, gate: string): Promise<GateRecord | undefined> {
    return this.read(() => gates.getGate(this.ctx, runId, gate));
  }
  async timeOutGate(lease: Lease, gate: string, now: number): Promise<GateRecord> {
    return this.write(() => gates.timeOutGate(this.ctx, lease, gate, now));
  }
  async decideGate(decision: GateDecision): Promise<GateRecord> {
    return this.write(() => gates.decideGate(this.ctx, decision), wakesAlways);
  }
  async listOpenGates(query: OpenGateQuery): Promise<GateRecord[]> {
    return this.read(() => gates.listOpenGates(this.ctx, query));
  }
  async countOpenGates(): Promise<OpenGateCount[]> {
    return this.read(() => gates.countOpenGates(this.ctx));
  }
  async startShadow(shadow: ShadowRecord, change: OperatorChange): Promise<void> {
    await this.write(() => shadows.startShadow(this.ctx, shadow, change), atOnce);
  }
  async stopShadow(pipeline: string, change: OperatorChange): Promise<ShadowRecord | undefined> {
    return this.write(() => shadows.stopShadow(this.ctx, pipeline, change), atOnce);
  }
  async listShadows(): Promise<ShadowRecord[]> {
    return this.read(() => shadows.listShadows(this.ctx));
  }
  async getShadow(id: string): Promise<ShadowRecord | undefined> {
    return this.read(() => shadows.getShadow(this.ctx, id));
  }
  async scanShadowRuns(
    shadowId: string,
    until: number,
    limit: number,
  ): Promise<{ after: ShadowCursor; runs: { id: string; finishedAt: number }[] }> {
    return this.read(() => shadows.scanShadowRuns(this.ctx, shadowId, until, limit));
  }
  async queueShadowRuns(
    shadowId: string,
    runIds: string[],
    to: ShadowCursor,
    now: number,
  ): Promise<number> {
    return this.write(() => shadows.queueShadowRuns(this.ctx, shadowId, runIds, to, now), atOnce);
  }
  async claimShadowRun(
    nodeId: string,
    now: number,
    leaseMs: number,
  ): Promise<ShadowClaim | undefined> {
    return this.write(() => shadows.claimShadowRun(this.ctx, nodeId, now, leaseMs), atOnce);
  }
  async finishShadowRun(comparison: ShadowComparison, nodeId: string): Promise<boolean> {
    return this.write(() => shadows.finishShadowRun(this.ctx, comparison, nodeId), atOnce);
  }
  async releaseShadowRun(shadowId: string, runId: string, nodeId: string): Promise<void> {
    await this.write(() => shadows.releaseShadowRun(this.ctx, shadowId, runId, nodeId), atOnce);
  }
  async shadowTally(shadowId: string): Promise<ShadowTally> {
    return this.read(() => shadows.shadowTally(this.ctx, shadowId));
  }

  async addTelemetry(increments: readonly TelemetryIncrement[]): Promise<void> {
    if (increments.length > 0) await this.write(() => telemetry.addTelemetry(this.ctx, increments));
  }
  async reportProgress(report: StepProgress): Promise<void> {
    await this.write(() => progress.reportProgress(this.ctx, report));
  }
  async listProgress(runId: string): Promise<StepProgress[]> {
    return this.read(() => progress.listProgress(this.ctx, runId));
  }
  async progressSince(query: ProgressQuery): Promise<StepProgress[]> {
    return this.read(() => progress.progressSince(this.ctx, query));
  }
  async readTelemetry(query: TelemetryQuery): Promise<TelemetryRecord[]> {
    return this.read(() => telemetry.readTelemetry(this.ctx, query));
  }
  async deleteTelemetryBefore(
    before: number,
    options: TelemetryDeleteOptions = {},
  ): Promise<TelemetryDeleteResult> {
    return this.write(() => telemetry.deleteTelemetryBefore(this.ctx, before, options));
  }

  async upsertBreakers(defs: BreakerDefinition[], actor: string, now: number): Promise<void> {
    await this.write(() => breakers.upsertBreakers(this.ctx, defs, actor, now));
  }
  async listBreakers(): Promise<BreakerRecord[]> {
    return this.read(() => recordsByName(this.ctx, "breakers", breakerFromRow));
  }
  async getBreaker(name: string): Promise<BreakerRecord | undefined> {
    return this.read(() => recordByName(this.ctx, "breakers", name, breakerFromRow));
  }
  async listBreakerTransitions(query: BreakerHistoryQuery): Promise<BreakerTransitionRecord[]> {
    return this.read(() => breakers.listBreakerTransitions(this.ctx, query));
  }
  async signalBreaker(
    name: string,
    signal: BreakerSignal,
    actor: string,
    now: number,
  ): Promise<BreakerChange> {
    return this.breakerWrite(() => breakers.applyBreakerEvent(this.ctx, name, signal, actor, now));
  }
  async tripBreaker(name: string, change: ReasonedChange): Promise<BreakerChange> {
    return this.operatorBreakerWrite(name, "trip", change);
  }
  async resetBreaker(name: string, change: OperatorChange): Promise<BreakerChange> {
    return this.operatorBreakerWrite(name, "reset", change);
  }
  private async operatorBreakerWrite(
    name: string,
    kind: "trip" | "reset",
    change: OperatorChange,
  ): Promise<BreakerChange> {
    const { event, audit: note } = operatorBreakerEvent(kind, change);
    return this.breakerWrite(() =>
      breakers.applyBreakerEvent(this.ctx, name, event, change.actor, change.at, note),
    );
  }
  /** a change that made deferred runs due is news for this process's claimer */
  private async breakerWrite(fn: () => BreakerChange): Promise<BreakerChange> {
    return this.write(fn, { wakes: (change) => change.woken > 0 });
  }

  async releaseNodeRuns(nodeId: string, reason: string, now: number): Promise<string[]> {
    return this.write(() => claims.releaseNodeRuns(this.ctx, nodeId, reason, now), wakesOnRuns);
  }
  async recoverExpiredLeases(now: number, exceptNodeId?: string): Promise<string[]> {
    return this.write(() => claims.recoverExpiredLeases(this.ctx, now, exceptNodeId), wakesOnRuns);
  }

  async getSetting(key: string): Promise<JsonValue | undefined> {
    return this.read(() => nodes.getSetting(this.ctx, key));
  }
  async setSetting(key: string, value: JsonValue, change: SettingChange): Promise<void> {
    const entry = settingAudit(key, change);
    await this.write(() => {
      nodes.setSetting(this.ctx, key, value, change.actor, change.at);
      if (entry) audit.insertAudit(this.ctx, entry);
    });
  }

  async checkIntegrity(): Promise<IntegrityReport> {
    return this.read(() => maintenance.checkIntegrity(this.ctx));
  }
  async inventory(now: number, staleMs = 0): Promise<StoreInventory> {
    return this.read(() => maintenance.inventory(this.ctx, now, staleMs));
  }
  async rebuildStates(apply: boolean, actor: string, now: number): Promise<StateDiff[]> {
    if (!apply) return this.read(() => maintenance.findStateDiffs(this.ctx));
    return this.write(() => maintenance.rebuildStates(this.ctx, actor, now), {
      ...atOnceAtomic,
      wakes: (diffs) => diffs.some((d) => d.rebuilt === "pending"),
    });
  }

  async checkStorage(level: "quick" | "full"): Promise<StorageReport> {
    if (this.options.path === ":memory:")
      return { ok: true, level, findings: [], repairable: false, checkedAt: Date.now(), ms: 0 };
    const report = await checkStorageFile(this.options.path, level, this.offThread);
    this.recordStorage(report);
    return report;
  }
  async repairStorage(report: StorageReport): Promise<StorageRepair> {
    // a read-only store (keel db check) never writes, repairs included
    if (this.options.readonly || !report.repairable)
      return { repaired: false, actions: [], report, ms: 0 };
    const repair = await repairStorageFile(this.options.path, report, this.offThread);
    this.recordStorage(repair.report);
    return repair;
  }
  onStorageFault(listener: (fault: Error) => void): () => void {
    return this.ctx.storage.onFault(listener);
  }
  /** the fence follows the check; lifted, this connection forgets the pages it cached meanwhile */
  private recordStorage(report: StorageReport): void {
    const wasFenced = this.ctx.storage.fenced;
    this.ctx.storage.record(report);
    if (wasFenced && report.ok && !this.closed) this.ctx.db.pragma("shrink_memory");
  }

  async listAlertStates(): Promise<AlertStateRecord[]> {
    return this.read(() => alerts.listAlertStates(this.ctx));
  }
  async changeAlertState(
    change: AlertStateChange,
    deliveries: readonly NewAlertDelivery[],
  ): Promise<AlertEventRecord | null> {
    return this.write(() => alerts.changeAlertState(this.ctx, change, deliveries), atOnceAtomic);
  }
  async listAlertEvents(query: AlertEventQuery): Promise<AlertEventRecord[]> {
    return this.read(() => alerts.listAlertEvents(this.ctx, query));
  }
  async recordAlertNotice(
    change: AlertStateChange,
    deliveries: readonly NewAlertDelivery[],
    audit?: OperatorChange,
  ): Promise<AlertEventRecord> {
    return this.write(
      () => alerts.recordAlertNotice(this.ctx, change, deliveries, audit),
      atOnceAtomic,
    );
  }
  async listAlertSilences(): Promise<AlertSilenceRecord[]> {
    return this.read(() => alerts.listAlertSilences(this.ctx));
  }
  async silenceAlert(
    rule: string,
    until: number,
    change: ReasonedChange,
  ): Promise<AlertSilenceRecord> {
    return this.write(() => alerts.silenceAlert(this.ctx, rule, until, change), atOnceAtomic);
  }
  async unsilenceAlert(
    rule: string,
    change: OperatorChange,
  ): Promise<AlertSilenceRecord | undefined> {
    return this.write(() => alerts.unsilenceAlert(this.ctx, rule, change), atOnceAtomic);
  }
  async acquireAlertLease(holder: string, now: number, ttlMs: number): Promise<AlertLease> {
    return this.write(() => alerts.acquireAlertLease(this.ctx, holder, now, ttlMs), atOnceAtomic);
  }
  async releaseAlertLease(holder: string): Promise<void> {
    await this.write(() => alerts.releaseAlertLease(this.ctx, holder), atOnceAtomic);
  }
  async getAlertLease(): Promise<AlertLease | undefined> {
    return this.read(() => alerts.getAlertLease(this.ctx));
  }
  async dueAlertDeliveries(now: number, limit: number): Promise<AlertDeliveryRecord[]> {
    return this.read(() => alerts.dueAlertDeliveries(this.ctx, now, limit));
  }
  async finishAlertDelivery(id: number, outcome: DeliveryOutcome): Promise<void> {
    await this.write(() => alerts.finishAlertDelivery(this.ctx, id, outcome), atOnceAtomic);
  }
  async alertQueues(): Promise<AlertQueueSummary[]> {
    return this.read(() => alerts.alertQueues(this.ctx));
  }
  async pruneAlertOutbox(before: number): Promise<number> {
    return this.write(() => alerts.pruneAlertOutbox(this.ctx, before), atOnceAtomic);
  }
  async getAlertDelivery(deliveryId: string): Promise<AlertDeliveryRecord | undefined> {
    return this.read(() => alerts.getAlertDelivery(this.ctx, deliveryId));
  }

  onWork(listener: () => void): () => void {
    this.hints.on("work", listener);
    this.watchOtherProcesses();
    return () => {
      this.hints.off("work", listener);
      if (this.hints.listenerCount("work") === 0 && this.changes) {
        this.changes.stop();
        this.changes = undefined;
      }
    };
  }

  /** Another process's commit bumps PRAGMA data_version: a cheap read, no disk I/O. */
  private watchOtherProcesses(): void {
    if (this.changes || this.closed) return;
    this.changes = new ChangeWatch(
      this.options.path,
      () => this.dataVersion(),
      () => this.hints.emit("work"),
      this.options.changePollMs ?? 50,
    );
    this.changes.start();
    // a process that listens for work runs a node: the one that writes most, so it checkpoints
    // (not under durability full: there every commit already fsyncs, and a concurrent checkpoint
    // only competes with it for the disk)
    if (!this.checkpointer && this.options.durability !== "full") {
      const checkpointer = new Checkpointer(this.ctx.db, this.options.path, () =>
        this.hints.emit("work"),
      );
      this.checkpointer = checkpointer;
      this.ctx.onFull = () => checkpointer.reclaim();
      checkpointer.start();
    }
  }

  // read on every WAL change, our own commits included: a cached statement, not db.pragma(),
  // which compiles its statement anew on each call
  private dataVersion(): number {
    return this.ctx.sql("PRAGMA data_version").pluck().get() as number;
  }
}

interface WriteOptions<T> {
  /** the helper runs its own context.write: all or nothing by itself, no savepoint around it */
  atomic?: boolean;
  /**
   * Committed at once, not queued: writes whose result must reflect only what is committed when
   * they run. A heartbeat lists the runs this node holds, and queued behind a checkpoint or a claim
   * of the same turn it would see runs the node has not heard of yet (and call them lost or
   * orphaned); recovery, node state and registration run before or beside the node's own queue.
   */
  alone?: boolean;
  /** the write may have made work due: a hint for this process's claimer */
  wakes?: (result: T) => boolean;
}

/** the write's helper runs its own context.write: all or nothing by itself */
const ownTransaction = { atomic: true } as const;
const atOnce = { alone: true } as const;
const atOnceAtomic = { alone: true, atomic: true } as const;
/** an undrained node claims again */
const wakesOnNode = { alone: true, wakes: () => true } as const;
/** the write may have made a run due at once */
const wakesAlways = { wakes: () => true } as const;
/** runs handed back to pending are work for whichever node claims first */
const wakesOnRuns = { alone: true, atomic: true, wakes: (ids: string[]) => ids.length > 0 };
