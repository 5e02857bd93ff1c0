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
import {
  checkEndedRunsDeletion,
  type EndedRunsDeletion,
  type VacuumReport,
} from "../retention-store.js";
import type { JsonValue } from "../../core/canonical-json.js";
import type { RunStatus } from "../../core/status.js";
import type { AuditNote, AuditPage, AuditQuery, AuditRecord, NewAuditEntry } from "../audit.js";
import { breakerFromRow, operatorBreakerEvent } from "../breaker-rows.js";
import type {
  BreakerChange,
  BreakerDefinition,
  BreakerHistoryQuery,
  BreakerRecord,
  BreakerSignal,
  BreakerTransitionRecord,
} from "../breakers.js";
import type { IntegrityReport, StateDiff } from "../integrity.js";
import type { StoreInventory } from "../inventory.js";
import type { PurgeRequest, PurgeResult, RetryRequest, RetryResult } from "../operator-requests.js";
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
import type { OperatorChange, ReasonedChange, SettingChange } from "../operator-change.js";
import { settingAudit } from "../node-rows.js";
import { checkPurge } from "../run-changes.js";
import type { SourceDefinition, SourceRecord } from "../sources.js";
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
import {
  checkTelemetryBefore,
  type TelemetryDeleteOptions,
  type TelemetryDeleteResult,
  type TelemetryIncrement,
  type TelemetryQuery,
  type TelemetryRecord,
} from "../telemetry.js";
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
import * as audit from "./audit.js";
import * as breakers from "./breakers.js";
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
import { PgContext, recordByName, recordsByName, type LeaseClock, type PgConn } from "./context.js";
import * as maintenance from "./maintenance.js";
import { SchemaGate } from "./migrate.js";
import * as nodes from "./nodes.js";
import { openPool, parsePostgresUrl } from "./open.js";
import * as operatorRuns from "./operator-runs.js";
import * as purge from "./purge.js";
import * as retention from "./retention.js";
import * as runs from "./runs.js";
import * as sources from "./sources.js";
import * as steps from "./steps.js";
import * as telemetry from "./telemetry.js";
import * as progress from "./progress.js";
import type { ProgressQuery, StepProgress } from "../progress.js";
import * as tokens from "./tokens.js";
import * as goldens from "./goldens.js";
import * as gates from "./gates.js";
import * as shadows from "./shadows.js";
import { WorkListener } from "./work-listener.js";
import { PgGroupCommit } from "./group-commit.js";

export interface PostgresStoreOptions {
  /** postgres://user@host:5432/database, optionally with ?schema=name */
  url: string;
  /** the schema keel's tables live in (default `keel`, or the URL's ?schema=) */
  schema?: string;
  /** connections in the pool (10) */
  poolSize?: number;
  /**
   * Where lease and heartbeat times come from. "database" (the default): the server's clock, so a
   * node whose clock is off neither steals nor keeps leases wrongly. "caller": the `now` each call
   * passes, as the SQLite store does (the conformance suite's fixed times).
   */
  clock?: LeaseClock;
  /** reads only and never migrates */
  readonly?: boolean;
}

/**
 * The PostgreSQL store: the same records and guarantees as the SQLite store, for nodes on many
 * hosts. Opening is synchronous: the pool connects on first use, and the first call waits for the
 * migration (schema-gate in migrate.ts). The class only hands each method of the Store interface
 * to the file beside it that does it, one or two lines each: the interface's size sets its length.
 */
export class PostgresStore implements Store {
  readonly backend = "postgres";
  private readonly ctx: PgContext;
  private readonly work: WorkListener;
  private readonly gate: SchemaGate;
  /** the fenced writes of a node's runs and its claims (group-commit.ts) */
  private readonly batch: PgGroupCommit;
  private closed = false;

  private constructor(options: PostgresStoreOptions) {
    const target = parsePostgresUrl(options.url, options.schema);
    const pool = openPool(target, options.poolSize ?? 10);
    this.gate = new SchemaGate(pool, target, options.readonly ?? false);
    this.ctx = new PgContext(pool, target.schema, options.clock ?? "database", target.url, () =>
      this.gate.ready(),
    );
    this.work = new WorkListener(target.url, target.schema);
    this.batch = new PgGroupCommit(this.ctx);
  }

  static open(options: PostgresStoreOptions): PostgresStore {
    return new PostgresStore(options);
  }

  /** resolves once the schema is migrated (or rejects with why it cannot be) */
  ready(): Promise<void> {
    return this.gate.ready();
  }

  get schemaWarning(): string | null {
    return this.gate.warning;
  }

  get schema(): string {
    return this.ctx.schema;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.ctx.closing = true;
    await this.gate.settled();
    await this.batch.settled();
    await this.work.stop();
    await this.ctx.pool.end();
  }

  private read<T>(fn: (c: PgConn) => Promise<T>): Promise<T> {
    return this.ctx.read(fn);
  }
  private write<T>(fn: (c: PgConn) => Promise<T>): Promise<T> {
    return this.ctx.write(fn);
  }
  /** a fenced write of a held run, a claim or a submit: committed with the others of its batch */
  private batched<T>(fn: (c: PgConn) => Promise<T>): Promise<T> {
    return this.batch.write(fn);
  }
  /** a write after which runs may be due: every node listening hears of it when it commits */
  private async wakingWrite<T>(
    fn: (c: PgConn) => Promise<T>,
    wakes: (r: T) => boolean,
    write: (fn: (c: PgConn) => Promise<T>) => Promise<T> = (f) => this.write(f),
  ): Promise<T> {
    let woke = false;
    const result = await write(async (c) => {
      const result = await fn(c);
      woke = wakes(result);
      if (woke) await this.ctx.notifyWork(c);
      return result;
    });
    // this process's own listeners hear it at once, without the round trip
    if (woke) this.work.emit();
    return result;
  }

  registerPipelines(pipelines: PipelineRecord[]): Promise<void> {
    return this.write((c) => nodes.registerPipelines(c, pipelines));
  }
  listPipelines(): Promise<PipelineRecord[]> {
    return this.read((c) => nodes.listPipelines(c));
  }

  submitRuns(list: NewRun[]): Promise<SubmitResult[]> {
    // submits share the batches too: one at a time, each would hold the transition lock to its own
    // COMMIT, and a steady stream of them would queue behind it
    return this.wakingWrite(
      (c) => runs.submitRuns(c, list),
      (results) => results.some((r) => r.created),
      (f) => this.batched(f),
    );
  }
  getRun(id: string): Promise<RunRecord | undefined> {
    return this.read((c) => runs.getRun(c, id));
  }
  listRuns(query: RunQuery): Promise<RunPage> {
    return this.read((c) => runs.listRuns(c, query));
  }
  countRunsByStatus(): Promise<Record<RunStatus, number>> {
    return this.read((c) => runs.countRunsByStatus(c));
  }
  countWaiting(): Promise<WaitingCounts> {
    return this.read((c) => runs.countWaiting(c));
  }
  listStepResults(runId: string): Promise<StepResultRecord[]> {
    return this.read((c) => runs.listStepResults(c, runId));
  }
  listTransitions(runId: string): Promise<TransitionRecord[]> {
    return this.read((c) => runs.listTransitions(c, runId));
  }
  nextDueAt(pipelines: readonly string[], minPriority?: number): Promise<number | null> {
    return this.read((c) => runs.nextDueAt(c, pipelines, minPriority));
  }

  registerNode(node: NewNode): Promise<void> {
    return this.write((c) => nodes.registerNode(this.ctx, c, node));
  }
  setNodeState(nodeId: string, state: NodeState, now: number): Promise<void> {
    return this.write((c) => nodes.setNodeState(this.ctx, c, nodeId, state, now));
  }
  listNodes(): Promise<NodeRecord[]> {
    return this.read((c) => nodes.listNodes(c));
  }
  heartbeat(nodeId: string, now: number, leaseMs: number): Promise<HeldRun[]> {
    return this.write((c) => claims.heartbeat(this.ctx, c, nodeId, now, leaseMs));
  }

  clusterView(): Promise<ClusterView> {
    return this.read((c) => cluster.clusterView(this.ctx, c, Date.now()));
  }
  createJoinToken(token: NewJoinToken, note: AuditNote): Promise<JoinTokenRecord> {
    return this.write((c) => cluster.createJoinToken(c, token, note));
  }
  listJoinTokens(): Promise<JoinTokenRecord[]> {
    return this.read((c) => cluster.listJoinTokens(c));
  }
  revokeJoinToken(id: string, change: OperatorChange): Promise<JoinTokenRecord> {
    return this.write((c) => cluster.revokeJoinToken(c, id, change));
  }
  useJoinToken(secretHash: string, now: number): Promise<JoinTokenRecord | undefined> {
    return this.write((c) => cluster.useJoinToken(c, secretHash, now));
  }
  nodeBeat(nodeId: string, progressed: boolean, now: number): Promise<NodeBeat | undefined> {
    return this.write((c) => cluster.nodeBeat(this.ctx, c, nodeId, progressed, now));
  }
  drainNode(nodeId: string, timeoutMs: number | null, change: OperatorChange): Promise<NodeRecord> {
    return this.write((c) => cluster.drainNode(this.ctx, c, nodeId, timeoutMs, change));
  }
  undrainNode(nodeId: string, change: OperatorChange): Promise<NodeRecord> {
    return this.wakingWrite(
      (c) => cluster.undrainNode(c, nodeId, change),
      () => true,
    );
  }
  forgetNode(
    nodeId: string,
    change: OperatorChange,
  ): Promise<{ node: NodeRecord; released: string[] }> {
    return this.wakingWrite(
      (c) => cluster.forgetNode(c, nodeId, change),
      (r) => r.released.length > 0,
    );
  }
  handOffRun(lease: Lease, placement: Placement, now: number): Promise<void> {
    return this.wakingWrite(
      (c) => cluster.handOffRun(c, lease, placement, now),
      () => true,
    );
  }
  placedWaiting(now: number, sample?: number): Promise<PlacedWaiting[]> {
    return this.read((c) => cluster.placedWaiting(c, now, sample));
  }

  async claimRuns(request: ClaimRequest): Promise<ClaimedRun[]> {
    if (request.pipelines.length === 0) return [];
    // the limit is asked once the transaction has its connection: slots freed meanwhile count
    return this.batched(async (c) => {
      const limit = typeof request.limit === "function" ? request.limit() : request.limit;
      return limit > 0 ? claims.claimRuns(this.ctx, c, request, limit) : [];
    });
  }
  startStep(
    lease: Lease,
    step: string,
    attempt: number,
    from: "pending" | "failed",
    now: number,
  ): Promise<void> {
    return this.batched((c) => steps.startStep(c, lease, step, attempt, from, now));
  }
  completeStep(lease: Lease, checkpoint: Checkpoint, runOutput?: JsonValue): Promise<void> {
    return this.batch.complete({ lease, cp: checkpoint, runOutput }, (c) =>
      steps.completeStep(c, lease, checkpoint, runOutput),
    );
  }
  recordStepFailure(lease: Lease, failure: StepFailure): Promise<void> {
    return this.batched((c) => steps.recordStepFailure(c, lease, failure));
  }
  rescheduleRun(lease: Lease, scheduledFor: number, reason: string, now: number): Promise<void> {
    return this.wakingWrite(
      (c) => steps.rescheduleRun(c, lease, scheduledFor, reason, now),
      () => true,
      (f) => this.batched(f),
    );
  }
  quarantineRun(lease: Lease, reason: string, error: ErrorInfo, now: number): Promise<void> {
    return this.batched((c) => steps.quarantineRun(c, lease, reason, error, now));
  }
  returnRun(lease: Lease, reason: string, now: number): Promise<void> {
    return this.wakingWrite(
      (c) => steps.returnRun(c, lease, reason, now),
      () => true,
      (f) => this.batched(f),
    );
  }
  deferRun(lease: Lease, breaker: string, until: number, now: number): Promise<void> {
    return this.wakingWrite(
      (c) => steps.deferRun(c, lease, breaker, until, now),
      () => true,
      (f) => this.batched(f),
    );
  }
  cancelRun(runId: string, change: ReasonedChange): Promise<RunRecord> {
    return this.write((c) => operatorRuns.cancelRun(c, runId, change));
  }
  retryRun(runId: string, request: RetryRequest): Promise<RetryResult> {
    return this.wakingWrite(
      (c) => operatorRuns.retryRun(c, runId, request),
      () => true,
    );
  }
  async deleteEndedRuns(request: EndedRunsDeletion): Promise<number> {
    checkEndedRunsDeletion(request);
    return this.write((c) => retention.deleteEndedRuns(c, request));
  }
  vacuum(): Promise<VacuumReport> {
    return this.ctx.read((c) => retention.vacuum(c, this.ctx.schema));
  }
  async purgeRuns(request: PurgeRequest): Promise<PurgeResult> {
    checkPurge(request);
    return this.write((c) => purge.purgeRuns(c, request));
  }
  appendAudit(entry: NewAuditEntry): Promise<AuditRecord> {
    return this.write((c) => audit.insertAudit(c, entry));
  }
  listAudit(query: AuditQuery): Promise<AuditPage> {
    return this.read((c) => audit.listAudit(c, query));
  }

  upsertSources(defs: SourceDefinition[], now: number): Promise<void> {
    return this.write((c) => sources.upsertSources(c, defs, now));
  }
  listSources(): Promise<SourceRecord[]> {
    return this.read((c) => sources.listSources(c));
  }
  getSource(name: string): Promise<SourceRecord | undefined> {
    return this.read((c) => sources.getSource(c, name));
  }
  pauseSource(name: string, change: ReasonedChange): Promise<SourceRecord> {
    return this.write((c) => sources.setPaused(c, name, true, change));
  }
  resumeSource(name: string, change: OperatorChange): Promise<SourceRecord> {
    return this.write((c) => sources.setPaused(c, name, false, change));
  }
  recordTick(name: string, tickAt: number | null, nextAt: number | null): Promise<void> {
    return this.write((c) => sources.recordTick(c, name, tickAt, nextAt));
  }

  listTransitionsAfter(query: TransitionFeedQuery): Promise<TransitionRecord[]> {
    return this.read((c) => runs.listTransitionsAfter(c, query));
  }
  lastTransitionId(): Promise<number> {
    return this.read((c) => runs.lastTransitionId(c));
  }

  createToken(token: NewToken, note?: AuditNote): Promise<TokenRecord> {
    return this.write((c) => tokens.createToken(c, token, note));
  }
  getToken(id: string): Promise<TokenRecord | undefined> {
    return this.read((c) => tokens.getToken(c, id));
  }
  listTokens(): Promise<TokenRecord[]> {
    return this.read((c) => tokens.listTokens(c));
  }
  revokeToken(id: string, change: OperatorChange): Promise<TokenRecord> {
    return this.write((c) => tokens.revokeToken(c, id, change));
  }

  saveGolden(golden: GoldenRecord, change: OperatorChange, replace = false): Promise<void> {
    return this.write((c) => goldens.saveGolden(c, golden, change, replace));
  }
  getGolden(name: string): Promise<GoldenRecord | undefined> {
    return this.read((c) => goldens.getGolden(c, name));
  }
  listGoldens(): Promise<GoldenRecord[]> {
    return this.read((c) => goldens.listGoldens(c));
  }

  startShadow(shadow: ShadowRecord, change: OperatorChange): Promise<void> {
    return this.write((c) => shadows.startShadow(c, shadow, change));
  }
  stopShadow(pipeline: string, change: OperatorChange): Promise<ShadowRecord | undefined> {
    return this.write((c) => shadows.stopShadow(c, pipeline, change));
  }
  listShadows(): Promise<ShadowRecord[]> {
    return this.read((c) => shadows.listShadows(c));
  }
  getShadow(id: string): Promise<ShadowRecord | undefined> {
    return this.read((c) => shadows.getShadow(c, id));
  }
  scanShadowRuns(
    shadowId: string,
    until: number,
    limit: number,
  ): Promise<{ after: ShadowCursor; runs: { id: string; finishedAt: number }[] }> {
    return this.read((c) => shadows.scanShadowRuns(c, shadowId, until, limit));
  }
  queueShadowRuns(
    shadowId: string,
    runIds: string[],
    to: ShadowCursor,
    now: number,
  ): Promise<number> {
    return this.write((c) => shadows.queueShadowRuns(c, shadowId, runIds, to, now));
  }
  claimShadowRun(nodeId: string, now: number, leaseMs: number): Promise<ShadowClaim | undefined> {
    return this.write((c) => shadows.claimShadowRun(c, nodeId, now, leaseMs));
  }
  finishShadowRun(comparison: ShadowComparison, nodeId: string): Promise<boolean> {
    return this.write((c) => shadows.finishShadowRun(c, comparison, nodeId));
  }
  async releaseShadowRun(shadowId: string, runId: string, nodeId: string): Promise<void> {
    await this.write((c) => shadows.releaseShadowRun(c, shadowId, runId, nodeId));
  }
  shadowTally(shadowId: string): Promise<ShadowTally> {
    return this.read((c) => shadows.shadowTally(c, shadowId));
  }
  async touchToken(id: string, at: number): Promise<void> {
    await this.write((c) => c.run("UPDATE tokens SET last_used_at = ? WHERE id = ?", [at, id]));
  }

  async addTelemetry(increments: readonly TelemetryIncrement[]): Promise<void> {
    telemetry.checkIncrements(increments);
    if (increments.length > 0) await this.write((c) => telemetry.addTelemetry(c, increments));
  }
  async reportProgress(report: StepProgress): Promise<void> {
    await this.write((c) => progress.reportProgress(c, report));
  }
  listProgress(runId: string): Promise<StepProgress[]> {
    return this.read((c) => progress.listProgress(c, runId));
  }
  progressSince(query: ProgressQuery): Promise<StepProgress[]> {
    return this.read((c) => progress.progressSince(c, query));
  }
  readTelemetry(query: TelemetryQuery): Promise<TelemetryRecord[]> {
    return this.read((c) => telemetry.readTelemetry(c, query));
  }
  async deleteTelemetryBefore(
    before: number,
    options: TelemetryDeleteOptions = {},
  ): Promise<TelemetryDeleteResult> {
    checkTelemetryBefore(before);
    return this.write((c) => telemetry.deleteTelemetryBefore(c, before, options));
  }

  upsertBreakers(defs: BreakerDefinition[], actor: string, now: number): Promise<void> {
    return this.write((c) => breakers.upsertBreakers(c, defs, actor, now));
  }
  listBreakers(): Promise<BreakerRecord[]> {
    return this.read((c) => recordsByName(c, "breakers", breakerFromRow));
  }
  getBreaker(name: string): Promise<BreakerRecord | undefined> {
    return this.read((c) => recordByName(c, "breakers", name, breakerFromRow));
  }
  listBreakerTransitions(query: BreakerHistoryQuery): Promise<BreakerTransitionRecord[]> {
    return this.read((c) => breakers.listBreakerTransitions(c, query));
  }
  signalBreaker(
    name: string,
    signal: BreakerSignal,
    actor: string,
    now: number,
  ): Promise<BreakerChange> {
    return this.breakerWrite((c) => breakers.applyBreakerEvent(c, name, signal, actor, now));
  }
  tripBreaker(name: string, change: ReasonedChange): Promise<BreakerChange> {
    return this.operatorBreakerWrite(name, "trip", change);
  }
  resetBreaker(name: string, change: OperatorChange): Promise<BreakerChange> {
    return this.operatorBreakerWrite(name, "reset", change);
  }
  private operatorBreakerWrite(
    name: string,
    kind: "trip" | "reset",
    change: OperatorChange,
  ): Promise<BreakerChange> {
    const { event, audit: note } = operatorBreakerEvent(kind, change);
    return this.breakerWrite((c) =>
      breakers.applyBreakerEvent(c, name, event, change.actor, change.at, note),
    );
  }
  private breakerWrite(fn: (c: PgConn) => Promise<BreakerChange>): Promise<BreakerChange> {
    return this.wakingWrite(fn, (change) => change.woken > 0);
  }

  releaseNodeRuns(nodeId: string, reason: string, now: number): Promise<string[]> {
    return this.wakingWrite(
      (c) => claims.releaseNodeRuns(c, nodeId, reason, now),
      (ids) => ids.length > 0,
    );
  }
  recoverExpiredLeases(now: number, exceptNodeId?: string): Promise<string[]> {
    return this.wakingWrite(
      (c) => claims.recoverExpiredLeases(this.ctx, c, now, exceptNodeId),
      (ids) => ids.length > 0,
    );
  }

  openGate(lease: Lease, opening: GateOpening, now: number): Promise<GateRecord> {
    return this.wakingWrite(
      (c) => gates.openGate(c, lease, opening, now),
      () => true,
    );
  }
  getGate(runId: string, gate: string): Promise<GateRecord | undefined> {
    return this.read((c) => gates.getGate(c, runId, gate));
  }
  timeOutGate(lease: Lease, gate: string, now: number): Promise<GateRecord> {
    return this.write((c) => gates.timeOutGate(c, lease, gate, now));
  }
  decideGate(decision: GateDecision): Promise<GateRecord> {
    return this.wakingWrite(
      (c) => gates.decideGate(c, decision),
      () => true,
    );
  }
  listOpenGates(query: OpenGateQuery): Promise<GateRecord[]> {
    return this.read((c) => gates.listOpenGates(c, query));
  }
  countOpenGates(): Promise<OpenGateCount[]> {
    return this.read((c) => gates.countOpenGates(c));
  }

  getSetting(key: string): Promise<JsonValue | undefined> {
    return this.read((c) => nodes.getSetting(c, key));
  }
  async setSetting(key: string, value: JsonValue, change: SettingChange): Promise<void> {
    const entry = settingAudit(key, change);
    await this.write(async (c) => {
      await nodes.setSetting(c, key, value, change.actor, change.at);
      if (entry) await audit.insertAudit(c, entry);
    });
  }

  checkIntegrity(): Promise<IntegrityReport> {
    return this.read((c) => maintenance.checkIntegrity(c));
  }
  rebuildStates(apply: boolean, actor: string, now: number): Promise<StateDiff[]> {
    if (!apply) return this.read((c) => maintenance.rebuildStates(c, false, actor, now));
    return this.wakingWrite(
      (c) => maintenance.rebuildStates(c, true, actor, now),
      (diffs) => diffs.some((d) => d.rebuilt === "pending"),
    );
  }

  listAlertStates(): Promise<AlertStateRecord[]> {
    return this.read((c) => alerts.listAlertStates(c));
  }
  changeAlertState(
    change: AlertStateChange,
    deliveries: readonly NewAlertDelivery[],
  ): Promise<AlertEventRecord | null> {
    return this.write((c) => alerts.changeAlertState(c, change, deliveries));
  }
  listAlertEvents(query: AlertEventQuery): Promise<AlertEventRecord[]> {
    return this.read((c) => alerts.listAlertEvents(c, query));
  }
  recordAlertNotice(
    change: AlertStateChange,
    deliveries: readonly NewAlertDelivery[],
    audit?: OperatorChange,
  ): Promise<AlertEventRecord> {
    return this.write((c) => alerts.recordAlertNotice(c, change, deliveries, audit));
  }
  listAlertSilences(): Promise<AlertSilenceRecord[]> {
    return this.read((c) => alerts.listAlertSilences(c));
  }
  silenceAlert(rule: string, until: number, change: ReasonedChange): Promise<AlertSilenceRecord> {
    return this.write((c) => alerts.silenceAlert(c, rule, until, change));
  }
  unsilenceAlert(rule: string, change: OperatorChange): Promise<AlertSilenceRecord | undefined> {
    return this.write((c) => alerts.unsilenceAlert(c, rule, change));
  }
  acquireAlertLease(holder: string, now: number, ttlMs: number): Promise<AlertLease> {
    return this.write((c) => alerts.acquireAlertLease(this.ctx, c, holder, now, ttlMs));
  }
  async releaseAlertLease(holder: string): Promise<void> {
    await this.write((c) => alerts.releaseAlertLease(c, holder));
  }
  getAlertLease(): Promise<AlertLease | undefined> {
    return this.read((c) => alerts.getAlertLease(c));
  }
  dueAlertDeliveries(now: number, limit: number): Promise<AlertDeliveryRecord[]> {
    return this.read((c) => alerts.dueAlertDeliveries(c, now, limit));
  }
  async finishAlertDelivery(id: number, outcome: DeliveryOutcome): Promise<void> {
    await this.write((c) => alerts.finishAlertDelivery(c, id, outcome));
  }
  alertQueues(): Promise<AlertQueueSummary[]> {
    return this.read((c) => alerts.alertQueues(c));
  }
  pruneAlertOutbox(before: number): Promise<number> {
    return this.write((c) => alerts.pruneAlertOutbox(c, before));
  }
  getAlertDelivery(deliveryId: string): Promise<AlertDeliveryRecord | undefined> {
    return this.read((c) => alerts.getAlertDelivery(c, deliveryId));
  }
  inventory(now: number, staleMs = 0): Promise<StoreInventory> {
    return this.read((c) => maintenance.inventory(this.ctx, c, now, staleMs));
  }

  onWork(listener: () => void): () => void {
    return this.work.on(listener);
  }
}
