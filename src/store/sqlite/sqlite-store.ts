import { EventEmitter } from "node:events";
import type { JsonValue } from "../../core/canonical-json.js";
import type { RunStatus } from "../../core/status.js";
import type { AuditNote, AuditPage, AuditQuery, AuditRecord, NewAuditEntry } from "../audit.js";
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
import type { SourceDefinition, SourceRecord } from "../sources.js";
import type { NewToken, TokenRecord } from "../tokens.js";
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
} from "../store.js";
import * as claims from "./claims.js";
import * as audit from "./audit.js";
import * as breakers from "./breakers.js";
import { ChangeWatch } from "./change-watch.js";
import { Checkpointer } from "./checkpointer.js";
import { SqliteContext, recordByName, recordsByName } from "./context.js";
import { breakerFromRow } from "../breaker-rows.js";
import { GroupCommit } from "./group-commit.js";
import * as maintenance from "./maintenance.js";
import { migrateSqlite } from "./migrate.js";
import * as nodes from "./nodes.js";
import * as operatorRuns from "./operator-runs.js";
import * as purge from "./purge.js";
import { openSqlite, type SqliteDurability } from "./open.js";
import * as runs from "./runs.js";
import * as sources from "./sources.js";
import * as steps from "./steps.js";
import * as tokens from "./tokens.js";
import * as telemetry from "./telemetry.js";

export interface SqliteStoreOptions {
  path: string;
  durability?: SqliteDurability;
  /** how often to look for commits by other processes (PRAGMA data_version), ms */
  changePollMs?: number;
  /** reads only, never migrates: for checks beside a live node (writes fail) */
  readonly?: boolean;
}

/**
 * The embedded store. better-sqlite3 is synchronous; each method runs its transaction at once and
 * returns a settled promise, so callers are written once for both backends.
 */
export class SqliteStore implements Store {
  readonly backend = "sqlite";
  private readonly ctx: SqliteContext;
  private readonly group: GroupCommit;
  private readonly hints = new EventEmitter();
  private changes: ChangeWatch | undefined;
  private checkpointer: Checkpointer | undefined;
  private closed = false;

  private constructor(
    ctx: SqliteContext,
    private readonly options: SqliteStoreOptions,
  ) {
    this.ctx = ctx;
    this.group = new GroupCommit(ctx);
    this.hints.setMaxListeners(0);
  }

  static open(options: SqliteStoreOptions): SqliteStore {
    const db = openSqlite({
      path: options.path,
      durability: options.durability ?? "normal",
      readonly: options.readonly,
    });
    try {
      if (!options.readonly) migrateSqlite(db);
    } catch (error) {
      db.close();
      throw error;
    }
    return new SqliteStore(new SqliteContext(db), options);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.group.flush();
    this.changes?.stop();
    await this.checkpointer?.stop();
    this.hints.removeAllListeners();
    this.ctx.db.close();
  }

  async registerPipelines(pipelines: PipelineRecord[]): Promise<void> {
    nodes.registerPipelines(this.ctx, pipelines);
  }
  async listPipelines(): Promise<PipelineRecord[]> {
    return nodes.listPipelines(this.ctx);
  }

  async submitRuns(list: NewRun[]): Promise<SubmitResult[]> {
    const results = await this.group.write(() => runs.submitRuns(this.ctx, list));
    if (results.some((r) => r.created)) this.hints.emit("work");
    return results;
  }
  async getRun(id: string): Promise<RunRecord | undefined> {
    return runs.getRun(this.ctx, id);
  }
  async listRuns(query: RunQuery): Promise<RunPage> {
    return runs.listRuns(this.ctx, query);
  }
  async countRunsByStatus(): Promise<Record<RunStatus, number>> {
    return runs.countRunsByStatus(this.ctx);
  }
  async listStepResults(runId: string): Promise<StepResultRecord[]> {
    return runs.listStepResults(this.ctx, runId);
  }
  async listTransitions(runId: string): Promise<TransitionRecord[]> {
    return runs.listTransitions(this.ctx, runId);
  }
  async nextDueAt(pipelines: readonly string[], minPriority?: number): Promise<number | null> {
    return runs.nextDueAt(this.ctx, pipelines, minPriority);
  }

  async registerNode(node: NewNode): Promise<void> {
    nodes.registerNode(this.ctx, node);
  }
  async setNodeState(nodeId: string, state: NodeState, now: number): Promise<void> {
    nodes.setNodeState(this.ctx, nodeId, state, now);
  }
  async listNodes(): Promise<NodeRecord[]> {
    return nodes.listNodes(this.ctx);
  }
  async heartbeat(nodeId: string, now: number, leaseMs: number): Promise<HeldRun[]> {
    return claims.heartbeat(this.ctx, nodeId, now, leaseMs);
  }

  async claimRuns(request: ClaimRequest): Promise<ClaimedRun[]> {
    return this.group.write(() => claims.claimRuns(this.ctx, request));
  }
  async startStep(
    lease: Lease,
    step: string,
    attempt: number,
    from: "pending" | "failed",
    now: number,
  ): Promise<void> {
    await this.group.write(() => steps.startStep(this.ctx, lease, step, attempt, from, now));
  }
  async completeStep(lease: Lease, checkpoint: Checkpoint, runOutput?: JsonValue): Promise<void> {
    await this.group.write(() => steps.completeStep(this.ctx, lease, checkpoint, runOutput));
  }
  async recordStepFailure(lease: Lease, failure: StepFailure): Promise<void> {
    await this.group.write(() => steps.recordStepFailure(this.ctx, lease, failure));
  }
  async rescheduleRun(
    lease: Lease,
    scheduledFor: number,
    reason: string,
    now: number,
  ): Promise<void> {
    await this.group.write(() => steps.rescheduleRun(this.ctx, lease, scheduledFor, reason, now));
    this.hints.emit("work");
  }
  async quarantineRun(lease: Lease, reason: string, error: ErrorInfo, now: number): Promise<void> {
    await this.group.write(() => steps.quarantineRun(this.ctx, lease, reason, error, now));
  }
  async returnRun(lease: Lease, reason: string, now: number): Promise<void> {
    await this.group.write(() => steps.returnRun(this.ctx, lease, reason, now));
    this.hints.emit("work");
  }
  async deferRun(lease: Lease, breaker: string, until: number, now: number): Promise<void> {
    await this.group.write(() => steps.deferRun(this.ctx, lease, breaker, until, now));
    this.hints.emit("work");
  }
  async cancelRun(
    runId: string,
    reason: string,
    actor: string,
    now: number,
    note?: AuditNote,
  ): Promise<RunRecord> {
    return this.group.write(() =>
      operatorRuns.cancelRun(this.ctx, runId, reason, actor, now, note),
    );
  }
  async retryRun(runId: string, request: RetryRequest): Promise<RetryResult> {
    const result = await this.group.write(() => operatorRuns.retryRun(this.ctx, runId, request));
    this.hints.emit("work");
    return result;
  }
  async purgeRuns(request: PurgeRequest): Promise<PurgeResult> {
    return this.group.write(() => purge.purgeRuns(this.ctx, request));
  }
  async appendAudit(entry: NewAuditEntry): Promise<AuditRecord> {
    return this.group.write(() => audit.appendAudit(this.ctx, entry));
  }
  async listAudit(query: AuditQuery): Promise<AuditPage> {
    return audit.listAudit(this.ctx, query);
  }

  async upsertSources(defs: SourceDefinition[], now: number): Promise<void> {
    await this.group.write(() => sources.upsertSources(this.ctx, defs, now));
  }
  async listSources(): Promise<SourceRecord[]> {
    return sources.listSources(this.ctx);
  }
  async getSource(name: string): Promise<SourceRecord | undefined> {
    return sources.getSource(this.ctx, name);
  }
  async pauseSource(
    name: string,
    reason: string,
    actor: string,
    now: number,
    note?: AuditNote,
  ): Promise<SourceRecord> {
    return this.group.write(() =>
      sources.setPaused(this.ctx, name, true, reason, actor, now, note),
    );
  }
  async resumeSource(
    name: string,
    actor: string,
    now: number,
    note?: AuditNote,
  ): Promise<SourceRecord> {
    return this.group.write(() => sources.setPaused(this.ctx, name, false, null, actor, now, note));
  }
  async recordTick(name: string, tickAt: number | null, nextAt: number | null): Promise<void> {
    await this.group.write(() => sources.recordTick(this.ctx, name, tickAt, nextAt));
  }

  async listTransitionsAfter(query: TransitionFeedQuery): Promise<TransitionRecord[]> {
    return runs.listTransitionsAfter(this.ctx, query);
  }
  async lastTransitionId(): Promise<number> {
    return runs.lastTransitionId(this.ctx);
  }

  async createToken(token: NewToken, note?: AuditNote): Promise<TokenRecord> {
    return this.group.write(() => tokens.createToken(this.ctx, token, note));
  }
  async getToken(id: string): Promise<TokenRecord | undefined> {
    return tokens.getToken(this.ctx, id);
  }
  async listTokens(): Promise<TokenRecord[]> {
    return tokens.listTokens(this.ctx);
  }
  async revokeToken(
    id: string,
    actor: string,
    now: number,
    note?: AuditNote & { reason?: string },
  ): Promise<TokenRecord> {
    return this.group.write(() => tokens.revokeToken(this.ctx, id, actor, now, note));
  }
  async touchToken(id: string, at: number): Promise<void> {
    await this.group.write(() => tokens.touchToken(this.ctx, id, at));
  }

  async addTelemetry(increments: readonly TelemetryIncrement[]): Promise<void> {
    if (increments.length > 0)
      await this.group.write(() => telemetry.addTelemetry(this.ctx, increments));
  }
  async readTelemetry(query: TelemetryQuery): Promise<TelemetryRecord[]> {
    return telemetry.readTelemetry(this.ctx, query);
  }
  async deleteTelemetryBefore(
    before: number,
    options: TelemetryDeleteOptions = {},
  ): Promise<TelemetryDeleteResult> {
    return this.group.write(() => telemetry.deleteTelemetryBefore(this.ctx, before, options));
  }

  async upsertBreakers(defs: BreakerDefinition[], actor: string, now: number): Promise<void> {
    await this.group.write(() => breakers.upsertBreakers(this.ctx, defs, actor, now));
  }
  async listBreakers(): Promise<BreakerRecord[]> {
    return recordsByName(this.ctx, "breakers", breakerFromRow);
  }
  async getBreaker(name: string): Promise<BreakerRecord | undefined> {
    return recordByName(this.ctx, "breakers", name, breakerFromRow);
  }
  async listBreakerTransitions(query: BreakerHistoryQuery): Promise<BreakerTransitionRecord[]> {
    return breakers.listBreakerTransitions(this.ctx, query);
  }
  async signalBreaker(
    name: string,
    signal: BreakerSignal,
    actor: string,
    now: number,
  ): Promise<BreakerChange> {
    return this.breakerWrite(() => breakers.applyBreakerEvent(this.ctx, name, signal, actor, now));
  }
  async tripBreaker(
    name: string,
    reason: string,
    actor: string,
    now: number,
    note?: AuditNote,
  ): Promise<BreakerChange> {
    const event = { kind: "trip", actor, reason } as const;
    return this.breakerWrite(() =>
      breakers.applyBreakerEvent(this.ctx, name, event, actor, now, note && { ...note, reason }),
    );
  }
  async resetBreaker(
    name: string,
    reason: string | null,
    actor: string,
    now: number,
    note?: AuditNote,
  ): Promise<BreakerChange> {
    const event = { kind: "reset", actor, note: reason } as const;
    return this.breakerWrite(() =>
      breakers.applyBreakerEvent(this.ctx, name, event, actor, now, note && { ...note, reason }),
    );
  }
  /** a change that made deferred runs due is news for this process's claimer */
  private async breakerWrite(fn: () => BreakerChange): Promise<BreakerChange> {
    const change = await this.group.write(fn);
    if (change.woken > 0) this.hints.emit("work");
    return change;
  }

  async releaseNodeRuns(nodeId: string, reason: string, now: number): Promise<string[]> {
    const ids = claims.releaseNodeRuns(this.ctx, nodeId, reason, now);
    if (ids.length > 0) this.hints.emit("work");
    return ids;
  }
  async recoverExpiredLeases(now: number, exceptNodeId?: string): Promise<string[]> {
    const ids = claims.recoverExpiredLeases(this.ctx, now, exceptNodeId);
    if (ids.length > 0) this.hints.emit("work");
    return ids;
  }

  async getSetting(key: string): Promise<JsonValue | undefined> {
    return nodes.getSetting(this.ctx, key);
  }
  async setSetting(
    key: string,
    value: JsonValue,
    actor: string,
    now: number,
    note?: AuditNote & { target?: string; reason?: string },
  ): Promise<void> {
    await this.group.write(() => {
      nodes.setSetting(this.ctx, key, value, actor, now);
      if (note) {
        audit.insertAudit(this.ctx, {
          at: now,
          actor,
          action: note.action,
          target: note.target ?? key,
          reason: note.reason ?? null,
          details: note.details ?? null,
        });
      }
    });
  }

  async checkIntegrity(): Promise<IntegrityReport> {
    return maintenance.checkIntegrity(this.ctx);
  }
  async rebuildStates(apply: boolean, actor: string, now: number): Promise<StateDiff[]> {
    const diffs = maintenance.rebuildStates(this.ctx, apply, actor, now);
    if (apply && diffs.some((d) => d.rebuilt === "pending")) this.hints.emit("work");
    return diffs;
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
