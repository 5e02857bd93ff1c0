import type { JsonValue } from "../core/canonical-json.js";
import type { RunStatus } from "../core/status.js";
import type { AuditNote, AuditPage, AuditQuery, AuditRecord, NewAuditEntry } from "./audit.js";
import type {
  BreakerChange,
  BreakerDefinition,
  BreakerHistoryQuery,
  BreakerRecord,
  BreakerSignal,
  BreakerTransitionRecord,
} from "./breakers.js";
import type { PurgeRequest, PurgeResult, RetryRequest, RetryResult } from "./operator-requests.js";
import type { IntegrityReport, StateDiff } from "./integrity.js";
import type { RunSummary } from "./run-summary.js";
import type { StorageRepair, StorageReport } from "./storage.js";
import type { SourceDefinition, SourceRecord } from "./sources.js";
import type { NewToken, TokenRecord } from "./tokens.js";
import type {
  TelemetryDeleteOptions,
  TelemetryDeleteResult,
  TelemetryIncrement,
  TelemetryQuery,
  TelemetryRecord,
} from "./telemetry.js";
import type {
  ErrorInfo,
  Lease,
  NodeRecord,
  NodeState,
  PipelineRecord,
  ProcessIdentity,
  RunRecord,
  StepResultRecord,
  TransitionRecord,
} from "./records.js";

/**
 * The store, in domain words. Every state change writes its transition in the same transaction;
 * every write to a claimed run checks the lease epoch and throws LeaseLostError when it moved on.
 * No connection, transaction or SQL type crosses this interface.
 */
export interface NewRun {
  id: string;
  pipeline: string;
  pipelineVersion: string;
  input: JsonValue;
  priority: number;
  idempotencyKey: string | null;
  source: string;
  traceId: string;
  seed: number;
  scheduledFor: number;
  createdAt: number;
  actor: string;
}

export interface SubmitResult {
  run: RunRecord;
  /** false when the idempotency key matched an existing run, which is returned instead */
  created: boolean;
}

export interface RunQuery {
  status?: RunStatus;
  pipeline?: string;
  /** epoch ms: runs created at or after */
  since?: number;
  quarantineReason?: string;
  limit: number;
  /** id of the last run of the previous page (newest first) */
  cursor?: string;
}

export interface RunPage {
  /** summaries: big values left out (run-summary.ts); the page may end early, see nextCursor */
  runs: RunSummary[];
  nextCursor: string | null;
}

export interface ClaimRequest {
  nodeId: string;
  /**
   * How many runs to claim at most. A function is asked when the claim is written (the store may
   * queue it to share a commit), so slots freed by runs whose last write goes in the same commit
   * are filled too.
   */
  limit: number | (() => number);
  leaseMs: number;
  now: number;
  pipelines: readonly string[];
  /** claim only runs of this priority or higher (lower ones are deferred under CPU pressure) */
  minPriority?: number;
}

export interface ClaimedRun {
  run: RunRecord;
  lease: Lease;
  checkpoints: StepResultRecord[];
}

export interface Checkpoint {
  step: string;
  output: JsonValue;
  outputHash: string;
  attempt: number;
  startedAt: number;
  finishedAt: number;
  /** served by the step's fallback: `cause` says why (breaker_open:<name>, max_attempts...) */
  degraded?: { cause: string };
  /** the attempt's start, when it was not written on its own: recorded here first, at startedAt */
  start?: StepStart;
}

/**
 * The start of a step attempt that finished before its start was written (the engine writes a
 * start on its own only for a step still running a turn later): the same "started" transition,
 * written in the same fenced write as the attempt's outcome.
 */
export interface StepStart {
  /** the step's status before this attempt: pending, or failed for a retry */
  from: "pending" | "failed";
  at: number;
}

export interface StepFailure {
  step: string;
  attempt: number;
  error: ErrorInfo;
  /** the run's new failed-attempt counts, this failure included */
  stepAttempts: Record<string, number>;
  at: number;
  /** the attempt's start, when it was not written on its own */
  start?: StepStart;
}

export interface NewNode {
  id: string;
  host: string;
  pid: number;
  /** the process behind `pid` (see ProcessIdentity); omitted or null where it cannot be read */
  process?: ProcessIdentity | null;
  capabilities: string[];
  version: string;
  now: number;
}

export interface HeldRun {
  runId: string;
  epoch: number;
}

export interface TransitionFeedQuery {
  /** transitions with a larger id; 0 for the oldest kept */
  afterId: number;
  limit: number;
  runId?: string;
  /** the newest `limit` transitions after afterId instead of the oldest (still in id order) */
  newest?: boolean;
}

export interface Store {
  readonly backend: "sqlite" | "postgres";
  /**
   * Set when the schema is ahead of this code by non-breaking migrations only (a newer node
   * upgraded the store): this node may keep running and logs it at start. A breaking one is
   * refused at open instead (store_too_new).
   */
  readonly schemaWarning: string | null;
  close(): Promise<void>;

  registerPipelines(pipelines: PipelineRecord[]): Promise<void>;
  listPipelines(): Promise<PipelineRecord[]>;

  submitRuns(runs: NewRun[]): Promise<SubmitResult[]>;
  getRun(id: string): Promise<RunRecord | undefined>;
  listRuns(query: RunQuery): Promise<RunPage>;
  countRunsByStatus(): Promise<Record<RunStatus, number>>;
  listStepResults(runId: string): Promise<StepResultRecord[]>;
  listTransitions(runId: string): Promise<TransitionRecord[]>;
  /**
   * earliest scheduled_for among pending runs (of at least `minPriority` when given), or null:
   * tells the claimer when to look again
   */
  nextDueAt(pipelines: readonly string[], minPriority?: number): Promise<number | null>;

  registerNode(node: NewNode): Promise<void>;
  setNodeState(nodeId: string, state: NodeState, now: number): Promise<void>;
  listNodes(): Promise<NodeRecord[]>;
  /** refreshes the node's heartbeat and the leases of its runs; returns the runs it still holds */
  heartbeat(nodeId: string, now: number, leaseMs: number): Promise<HeldRun[]>;

  claimRuns(request: ClaimRequest): Promise<ClaimedRun[]>;
  startStep(
    lease: Lease,
    step: string,
    attempt: number,
    from: "pending" | "failed",
    now: number,
  ): Promise<void>;
  /** records the checkpoint; with `runOutput` the run succeeds in the same transaction */
  completeStep(lease: Lease, checkpoint: Checkpoint, runOutput?: JsonValue): Promise<void>;
  recordStepFailure(lease: Lease, failure: StepFailure): Promise<void>;
  rescheduleRun(lease: Lease, scheduledFor: number, reason: string, now: number): Promise<void>;
  quarantineRun(lease: Lease, reason: string, error: ErrorInfo, now: number): Promise<void>;
  /** gives a run back untouched (aborted step, forced stop): running -> pending */
  returnRun(lease: Lease, reason: string, now: number): Promise<void>;
  /**
   * running -> pending, due at `until`, waiting for an open breaker (reason `breaker_open:<name>`):
   * no attempt is spent, and when the breaker half-opens or closes the run is due at once again,
   * in its old place (priority, then creation).
   */
  deferRun(lease: Lease, breaker: string, until: number, now: number): Promise<void>;
  /** pending or running -> cancelled; with `audit`, its audit entry is written in the same transaction */
  cancelRun(
    runId: string,
    reason: string,
    actor: string,
    now: number,
    audit?: AuditNote,
  ): Promise<RunRecord>;
  /**
   * An operator's retry: quarantined, cancelled or succeeded (the last only with steps to clear)
   * -> pending, due now. Deletes the checkpoints of `clearSteps`, resets the failed-attempt counts
   * of every step that will run again, writes the run's `operator_retry` transition, a `cleared`
   * transition per deleted checkpoint and the audit entry, all in one transaction.
   */
  retryRun(runId: string, request: RetryRequest): Promise<RetryResult>;
  /** deletes quarantined runs with their checkpoints and transitions, and writes the audit entry */
  purgeRuns(request: PurgeRequest): Promise<PurgeResult>;
  appendAudit(entry: NewAuditEntry): Promise<AuditRecord>;
  /** newest first */
  listAudit(query: AuditQuery): Promise<AuditPage>;

  /** inserts or updates source definitions; never touches their pause state */
  upsertSources(defs: SourceDefinition[], now: number): Promise<void>;
  listSources(): Promise<SourceRecord[]>;
  getSource(name: string): Promise<SourceRecord | undefined>;
  /** paused sources create no runs; with `audit`, its entry is written in the same transaction */
  pauseSource(
    name: string,
    reason: string,
    actor: string,
    now: number,
    audit?: AuditNote,
  ): Promise<SourceRecord>;
  resumeSource(name: string, actor: string, now: number, audit?: AuditNote): Promise<SourceRecord>;
  /** notes a tick (last_tick_at only moves forward; null: no tick, only the next one) and the next */
  recordTick(name: string, tickAt: number | null, nextAt: number | null): Promise<void>;

  /** every transition of every run in id order: the feed behind `/v1/events` and `events tail` */
  listTransitionsAfter(query: TransitionFeedQuery): Promise<TransitionRecord[]>;
  /** the id of the newest transition, 0 when there is none */
  lastTransitionId(): Promise<number>;

  /** with `audit`, the token and its audit entry are written in one transaction */
  createToken(token: NewToken, audit?: AuditNote): Promise<TokenRecord>;
  getToken(id: string): Promise<TokenRecord | undefined>;
  /** revoked tokens included, oldest first */
  listTokens(): Promise<TokenRecord[]>;
  revokeToken(
    id: string,
    actor: string,
    now: number,
    audit?: AuditNote & { reason?: string },
  ): Promise<TokenRecord>;
  /** notes the token was used (callers throttle it; it is not audited) */
  touchToken(id: string, at: number): Promise<void>;

  /** adds to the per-minute rollups (counts and totals add up, histograms merge), in one write */
  addTelemetry(increments: readonly TelemetryIncrement[]): Promise<void>;
  /** rollup rows of the range, oldest minute first */
  readTelemetry(query: TelemetryQuery): Promise<TelemetryRecord[]>;
  /** deletes the rows of minutes that start before `before` (epoch ms); with `audit`, audited */
  deleteTelemetryBefore(
    before: number,
    options?: TelemetryDeleteOptions,
  ): Promise<TelemetryDeleteResult>;

  /** inserts breakers or updates their policy; never touches their state */
  upsertBreakers(defs: BreakerDefinition[], actor: string, now: number): Promise<void>;
  listBreakers(): Promise<BreakerRecord[]>;
  getBreaker(name: string): Promise<BreakerRecord | undefined>;
  /** state changes, newest first */
  listBreakerTransitions(query: BreakerHistoryQuery): Promise<BreakerTransitionRecord[]>;
  /**
   * A node's news about a breaker (a step's success or failure, a probe that answered, a step
   * asking for a trial slot), applied atomically: every node sharing the store sees one state. A
   * change to half-open or closed makes the runs it deferred due at once, in the same transaction.
   * An unknown breaker is created with the default policy.
   */
  signalBreaker(
    name: string,
    signal: BreakerSignal,
    actor: string,
    now: number,
  ): Promise<BreakerChange>;
  /** an operator opens a breaker until reset; with `audit`, its entry shares the transaction */
  tripBreaker(
    name: string,
    reason: string,
    actor: string,
    now: number,
    audit?: AuditNote,
  ): Promise<BreakerChange>;
  /** an operator closes a breaker, waking the runs it deferred */
  resetBreaker(
    name: string,
    note: string | null,
    actor: string,
    now: number,
    audit?: AuditNote,
  ): Promise<BreakerChange>;

  /** running runs of a node, back to pending (the node is dead or forgotten) */
  releaseNodeRuns(nodeId: string, reason: string, now: number): Promise<string[]>;
  /**
   * running runs whose lease ran out, back to pending; the runs of `exceptNodeId` (the node
   * sweeping: alive, as it sweeps) are left to its own heartbeat
   */
  recoverExpiredLeases(now: number, exceptNodeId?: string): Promise<string[]>;

  getSetting(key: string): Promise<JsonValue | undefined>;
  /** with `audit`, the change and its audit entry are written in one transaction */
  setSetting(
    key: string,
    value: JsonValue,
    actor: string,
    now: number,
    audit?: AuditNote & { target?: string; reason?: string },
  ): Promise<void>;

  /** keel's invariants and the storage's own check; reads only, so it may run beside a node */
  checkIntegrity(): Promise<IntegrityReport>;
  /**
   * Runs whose status their transitions contradict; with `apply`, writes the rebuilt statuses and a
   * `rebuilt_from_transitions` transition each, in one transaction. Apply only while no node runs.
   */
  rebuildStates(apply: boolean, actor: string, now: number): Promise<StateDiff[]>;

  /**
   * Optional: the storage's own check, off the event loop (SQLite: PRAGMA quick_check, and for
   * `full` integrity_check, on a fresh connection in a worker thread). From a check that finds
   * damage, or a query that runs into it, until a check finds none, every write is refused with
   * `store_corrupt`: nothing more is written on a broken file. Reads go on.
   */
  checkStorage?(level: "quick" | "full"): Promise<StorageReport>;
  /**
   * Optional: repairs what a check found when it is repairable (indexes rebuilt from their tables,
   * free pages reclaimed; rows are only read), then checks in full; writes resume if that is clean.
   * An unrepairable report is returned as it is, with nothing done.
   */
  repairStorage?(report: StorageReport): Promise<StorageRepair>;
  /** Optional: a query ran into damaged storage, and writes are refused from now on: check now. */
  onStorageFault?(listener: (fault: Error) => void): () => void;

  /** a hint that work may be waiting; the caller still polls as a safety net */
  onWork(listener: () => void): () => void;
}
