import type { JsonValue } from "../core/canonical-json.js";
import { InvalidInputError } from "../core/errors/definition-errors.js";
import { IllegalTransitionError } from "../core/errors/run-errors.js";
import { anywhere, type Placement } from "../core/placement.js";
import { RunStatus, StepStatus, terminalRunStatuses } from "../core/status.js";
import { AuditAction, type NewAuditEntry } from "./audit.js";
import { rebuiltReason, type StateDiff } from "./integrity.js";
import type { PurgeRequest, RetryRequest } from "./operator-requests.js";
import type { ErrorInfo, Lease, RunRecord, StepResultRecord } from "./records.js";
import { stepResultFromRow, type Row } from "./rows.js";
import type { Checkpoint, ClaimedRun, NewRun, StepFailure } from "./store.js";

/**
 * What a change to a run records, decided once for both backends: the transitions of a step's
 * start, checkpoint and failure, an operator's retry and a purge's audit entry. The backends only
 * write them, each inside its own transaction.
 */
export interface TransitionInput {
  runId: string;
  step: string | null;
  from: string | null;
  to: string;
  reason: string;
  actor: string;
  at: number;
  traceId: string | null;
  details?: JsonValue | null;
}

export function startedTransition(
  lease: Lease,
  step: string,
  attempt: number,
  start: { from: string; at: number },
  traceId: string,
): TransitionInput {
  return {
    runId: lease.runId,
    step,
    from: start.from,
    to: StepStatus.running,
    reason: "started",
    actor: lease.nodeId,
    at: start.at,
    traceId,
    details: { attempt },
  };
}

/** A checkpoint's transitions: its start when not written on its own, the step's, the run's. */
export function checkpointTransitions(
  lease: Lease,
  cp: Checkpoint,
  traceId: string,
  finishing: boolean,
): TransitionInput[] {
  const ms = cp.finishedAt - cp.startedAt;
  const list: TransitionInput[] = [];
  if (cp.start) list.push(startedTransition(lease, cp.step, cp.attempt, cp.start, traceId));
  list.push({
    runId: lease.runId,
    step: cp.step,
    from: StepStatus.running,
    to: StepStatus.succeeded,
    reason: cp.degraded ? "fallback" : cp.approvedBy !== undefined ? "gate_approved" : "checkpoint",
    actor: lease.nodeId,
    at: cp.finishedAt,
    traceId,
    // the hash stays in the trail: a retry that clears the checkpoint keeps what it was
    details: cp.degraded
      ? { attempt: cp.attempt, ms, hash: cp.outputHash, degraded: true, cause: cp.degraded.cause }
      : cp.approvedBy !== undefined
        ? { attempt: cp.attempt, ms, hash: cp.outputHash, by: cp.approvedBy }
        : { attempt: cp.attempt, ms, hash: cp.outputHash },
  });
  if (finishing)
    list.push({
      runId: lease.runId,
      step: null,
      from: RunStatus.running,
      to: RunStatus.succeeded,
      reason: "completed",
      actor: lease.nodeId,
      at: cp.finishedAt,
      traceId,
    });
  return list;
}

export function failureTransitions(
  lease: Lease,
  failure: StepFailure,
  traceId: string,
): TransitionInput[] {
  const list: TransitionInput[] = [];
  if (failure.start)
    list.push(startedTransition(lease, failure.step, failure.attempt, failure.start, traceId));
  list.push({
    runId: lease.runId,
    step: failure.step,
    from: StepStatus.running,
    to: StepStatus.failed,
    reason: failure.error.code,
    actor: lease.nodeId,
    at: failure.at,
    traceId,
    details: { attempt: failure.attempt, message: failure.error.message },
  });
  return list;
}

/** The parameters of a transition's INSERT, from run_id to details (SQLite adds its id first). */
export function transitionParams(t: TransitionInput): unknown[] {
  return [
    t.runId,
    t.step,
    t.from,
    t.to,
    t.reason,
    t.actor,
    t.at,
    t.traceId,
    t.details === undefined || t.details === null ? null : JSON.stringify(t.details),
  ];
}

/** A claimed run's transition, and what the claimer gets: the run, its lease, its checkpoints. */
export function claimedTransition(run: RunRecord, nodeId: string, now: number): TransitionInput {
  return {
    runId: run.id,
    step: null,
    from: "pending",
    to: "running",
    reason: "claimed",
    actor: nodeId,
    at: now,
    traceId: run.traceId,
    details: { epoch: run.leaseEpoch },
  };
}

export function claimedRuns(
  runs: RunRecord[],
  nodeId: string,
  checkpoints: Map<string, StepResultRecord[]>,
  rows: Row[],
): ClaimedRun[] {
  const placements = new Map(rows.map((row) => [row.id as string, placementFromRow(row)]));
  return runs.map((run) => ({
    run,
    lease: { runId: run.id, nodeId, epoch: run.leaseEpoch, traceId: run.traceId },
    checkpoints: checkpoints.get(run.id) ?? [],
    placement: placements.get(run.id) ?? anywhere,
  }));
}

/** a runs row's `requires` and `pool` */
export function placementFromRow(row: Row): Placement {
  const requires =
    row.requires === undefined ? [] : (JSON.parse(row.requires as string) as string[]);
  return { requires, pool: (row.pool as string | undefined) ?? "" };
}

/**
 * The claim's placement filter: the run's every required capability is one the node offers (a
 * JSON array parameter), and its pool is the one claimed for. `eachRequired` is the backend's
 * table of a run's required capabilities; `offered` its test of one of them against the list.
 */
export function placementFilter(eachRequired: string, offered: string): string {
  return `AND pool = ? AND (requires = '[]' OR NOT EXISTS (SELECT 1 FROM ${eachRequired} WHERE NOT (${offered})))`;
}

/**
 * A draining node, or one whose join token was revoked, claims nothing from the moment it is
 * recorded, not only from its next heartbeat (a node never registered, in tests, may claim).
 */
export const claimingNodeFilter = `AND NOT EXISTS (SELECT 1 FROM nodes WHERE nodes.id = ? AND (nodes.state = 'draining' OR nodes.blocked IS NOT NULL))`;

/** A run handed on to nodes that serve its next step's placement: pending again, due at once. */
export function handOffChange(placement: Placement, now: number): LeaveRunning {
  return {
    to: RunStatus.pending,
    set: "requires = ?, pool = ?, ",
    params: [JSON.stringify(placement.requires), placement.pool],
    reason: "placement",
    now,
    details: { requires: [...placement.requires], pool: placement.pool },
  };
}

/** step_results rows grouped by run */
export function checkpointsByRun(rows: Row[]): Map<string, StepResultRecord[]> {
  const byRun = new Map<string, StepResultRecord[]>();
  for (const row of rows) {
    const result = stepResultFromRow(row);
    const list = byRun.get(result.runId) ?? [];
    list.push(result);
    byRun.set(result.runId, list);
  }
  return byRun;
}

/**
 * A new run's INSERT; a run of the same pipeline with the same idempotency key makes it insert
 * nothing. `returning`: PostgreSQL hands the row back (SQLite makes the record itself, as
 * RETURNING made its writes about twice as costly).
 */
export function submitRunSql(returning: boolean): string {
  return `INSERT INTO runs (id, pipeline, pipeline_version, status, input, priority, idempotency_key, source, trace_id, seed,
  scheduled_for, created_at, updated_at, trace_parent, requires, pool)
  VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (pipeline, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING${returning ? " RETURNING *" : ""}`;
}

/** `input`: the run's input as stored JSON */
export function submitRunParams(run: NewRun, input: string): unknown[] {
  return [
    run.id,
    run.pipeline,
    run.pipelineVersion,
    input,
    run.priority,
    run.idempotencyKey,
    run.source,
    run.traceId,
    run.seed,
    run.scheduledFor,
    run.createdAt,
    run.createdAt,
    run.traceParent ?? null,
    JSON.stringify(run.placement?.requires ?? []),
    run.placement?.pool ?? "",
  ];
}

/** An operator's cancel: the lease is dropped and its epoch moved on, so a holder is fenced out. */
export const cancelRunSql = `UPDATE runs SET status = 'cancelled', node_id = NULL, lease_expires_at = NULL, lease_epoch = lease_epoch + 1,
  finished_at = ?, updated_at = ? WHERE id = ? RETURNING *`;

export function cancelledTransition(
  run: RunRecord,
  reason: string,
  actor: string,
  now: number,
): TransitionInput {
  return {
    runId: run.id,
    step: null,
    from: run.status,
    to: RunStatus.cancelled,
    reason,
    actor,
    at: now,
    traceId: run.traceId,
  };
}

/** A new run's first transition. */
export function submittedTransition(run: NewRun): TransitionInput {
  return {
    runId: run.id,
    step: null,
    from: null,
    to: "pending",
    reason: "submitted",
    actor: run.actor,
    at: run.createdAt,
    traceId: run.traceId,
    details: { source: run.source },
  };
}

/**
 * The holder letting go of its run (a retry scheduled, a breaker's deferral, quarantine, a
 * return): the fenced update's SET clause and parameters, and the run's transition out of running.
 */
export interface LeaveRunning {
  to: typeof RunStatus.pending | typeof RunStatus.quarantined;
  /** the other columns it sets, each followed by ", " */
  set: string;
  params: unknown[];
  reason: string;
  now: number;
  details?: JsonValue;
}

export function leaveRunningSet(change: LeaveRunning): { set: string; params: unknown[] } {
  return {
    set: `status = ?, ${change.set}node_id = NULL, lease_expires_at = NULL, updated_at = ?`,
    params: [change.to, ...change.params, change.now],
  };
}

export function leftRunningTransition(
  lease: Lease,
  change: LeaveRunning,
  traceId: string,
): TransitionInput {
  return {
    runId: lease.runId,
    step: null,
    from: RunStatus.running,
    to: change.to,
    reason: change.reason,
    actor: lease.nodeId,
    at: change.now,
    traceId,
    details: change.details,
  };
}

export function rescheduleChange(scheduledFor: number, reason: string, now: number): LeaveRunning {
  return {
    to: RunStatus.pending,
    // a retry waits its own delay: no breaker may make it due early
    set: "scheduled_for = ?, deferred_by = NULL, ",
    params: [scheduledFor],
    reason,
    now,
    details: { scheduledFor },
  };
}

/**
 * A deferral until a breaker's wake-up; `closed`: the breaker closed since the node looked, so its
 * wake-up is past and the run is due at once.
 */
export function deferChange(
  breaker: string,
  until: number,
  now: number,
  closed: boolean,
): LeaveRunning {
  const at = closed ? now : until;
  return {
    to: RunStatus.pending,
    set: "scheduled_for = ?, deferred_by = ?, ",
    params: [at, closed ? null : breaker],
    reason: `breaker_open:${breaker}`,
    now,
    details: { breaker, until: at },
  };
}

export function quarantineChange(reason: string, error: ErrorInfo, now: number): LeaveRunning {
  return {
    to: RunStatus.quarantined,
    set: "quarantine_reason = ?, error = ?, finished_at = ?, ",
    params: [reason, JSON.stringify(error), now],
    reason,
    now,
    details: { code: error.code, message: error.message },
  };
}

export function returnChange(reason: string, now: number): LeaveRunning {
  return { to: RunStatus.pending, set: "", params: [], reason, now };
}

/** A running run given back by the store itself (lease expired, node dead), not by its holder. */
export function returnedTransition(
  row: { id: string; trace_id: string; lease_epoch: number },
  reason: string,
  now: number,
): TransitionInput {
  return {
    runId: row.id,
    step: null,
    from: "running",
    to: "pending",
    reason,
    actor: "system",
    at: now,
    traceId: row.trace_id,
    details: { epoch: row.lease_epoch },
  };
}

export function rebuiltTransition(
  diff: StateDiff,
  actor: string,
  now: number,
  traceId: string,
): TransitionInput {
  return {
    runId: diff.runId,
    step: null,
    from: diff.stored,
    to: diff.rebuilt,
    reason: rebuiltReason,
    actor,
    at: now,
    traceId,
    details: { code: diff.code, last_transition: diff.lastTransition },
  };
}

export interface RetryPlan {
  cleared: string[];
  /** the run's failed-attempt counts, kept only for steps that keep their checkpoint */
  stepAttempts: Record<string, number>;
  details: Record<string, JsonValue>;
}

/**
 * What an operator's retry does to a run, or why it is refused. `checkpointed`: the steps with a
 * checkpoint now.
 */
export function planRetry(run: RunRecord, req: RetryRequest, checkpointed: Set<string>): RetryPlan {
  // the table also lets a running run go back to pending, but that is its holder's move (a
  // retry scheduled, a lease lost): an operator restarts only runs that finished
  if (!terminalRunStatuses.has(run.status))
    throw new IllegalTransitionError(
      "run",
      run.status,
      "pending",
      run.id,
      `only quarantined, cancelled or succeeded runs can be retried; this one is ${run.status} (cancel it first to start it over)`,
    );
  if (run.status === "succeeded" && req.clearSteps.length === 0)
    throw new InvalidInputError(
      `run ${run.id} succeeded: retrying it without clearing a step would run nothing; name the step to run again from`,
      { field: "fromStep", runId: run.id },
    );
  const cleared = req.clearSteps.filter((s) => checkpointed.has(s));
  const kept = new Set([...checkpointed].filter((s) => !cleared.includes(s)));
  // a step that runs again starts over at attempt 1: failed attempts count only for kept steps
  const stepAttempts = Object.fromEntries(
    Object.entries(run.stepAttempts).filter(([step]) => kept.has(step)),
  );
  const details: Record<string, JsonValue> = {
    note: req.note,
    fromStep: req.fromStep ?? null,
    cleared,
    ...(req.redoDegraded ? { redoDegraded: true } : {}),
  };
  return { cleared, stepAttempts, details };
}

/**
 * The retry's transitions: the run's, a `cleared` one per deleted checkpoint, and steps left
 * failed or running (cancelled mid-flight) back to pending, so each step's trail reads
 * pending -> running again when it is claimed. `lastStepStates`: each step's last `to`.
 */
export function retryTransitions(
  run: RunRecord,
  req: RetryRequest,
  plan: RetryPlan,
  checkpointed: Set<string>,
  lastStepStates: { step: string; to: string }[],
): TransitionInput[] {
  const base = { runId: run.id, actor: req.actor, at: req.now, traceId: run.traceId };
  const list: TransitionInput[] = [
    {
      ...base,
      step: null,
      from: run.status,
      to: RunStatus.pending,
      reason: "operator_retry",
      details: plan.details,
    },
  ];
  for (const step of plan.cleared)
    list.push({
      ...base,
      step,
      from: StepStatus.succeeded,
      to: StepStatus.pending,
      reason: "cleared",
    });
  for (const { step, to } of lastStepStates) {
    if (checkpointed.has(step) || (to !== StepStatus.failed && to !== StepStatus.running)) continue;
    list.push({ ...base, step, from: to, to: StepStatus.pending, reason: "operator_retry" });
  }
  return list;
}

export function retryAudit(run: RunRecord, req: RetryRequest, plan: RetryPlan): NewAuditEntry {
  return {
    at: req.now,
    actor: req.actor,
    action: AuditAction.runRetry,
    target: run.id,
    reason: req.note,
    details: { ...plan.details, from: run.status },
  };
}

export const lastStepStatesSql = `SELECT step, to_status AS "to" FROM transitions WHERE id IN (
  SELECT max(id) FROM transitions WHERE run_id = ? AND step IS NOT NULL GROUP BY step)
 ORDER BY id`;

/** in a purge's audit entry, enough ids to find the runs in a backup; the count says how many */
const auditedIds = 1000;

export function checkPurge(req: PurgeRequest): void {
  if (req.status !== "quarantined")
    throw new InvalidInputError(`only quarantined runs can be purged, not ${String(req.status)}`, {
      field: "status",
    });
}

/** The runs a purge takes: those the filter matched, within `req.ids` when it is given. */
export function purgeSelection(req: PurgeRequest, matched: string[]): string[] {
  if (!req.ids) return matched;
  const wanted = new Set(req.ids);
  return matched.filter((id) => wanted.has(id));
}

/** The purge's filter of quarantined runs, as SQL conditions and their parameters. */
export function purgeFilter(req: PurgeRequest): { where: string; params: unknown[] } {
  const where = ["status = 'quarantined'"];
  const params: unknown[] = [];
  if (req.olderThan !== undefined) (where.push("finished_at < ?"), params.push(req.olderThan));
  if (req.reason !== undefined) (where.push("quarantine_reason = ?"), params.push(req.reason));
  return { where: where.join(" AND "), params };
}

export function purgeAudit(req: PurgeRequest, ids: string[]): NewAuditEntry {
  return {
    at: req.now,
    actor: req.actor,
    action: AuditAction.quarantinePurge,
    target: "quarantine",
    reason: null,
    details: {
      count: ids.length,
      olderThan: req.olderThan ?? null,
      quarantineReason: req.reason ?? null,
      ids: ids.slice(0, auditedIds),
      idsTruncated: ids.length > auditedIds,
    },
  };
}

export const insertCheckpointSql =
  "INSERT INTO step_results (run_id, step, output, output_hash, attempt, node_id, started_at, finished_at, degraded, recorded) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

export function checkpointParams(lease: Lease, cp: Checkpoint): unknown[] {
  return [
    lease.runId,
    cp.step,
    JSON.stringify(cp.output),
    cp.outputHash,
    cp.attempt,
    lease.nodeId,
    cp.startedAt,
    cp.finishedAt,
    cp.degraded ? 1 : 0,
    cp.recorded ? JSON.stringify(cp.recorded) : null,
  ];
}

/** The retried run: pending and due now, its outcome and lease cleared, under a new epoch. */
export const retryRunSql = `UPDATE runs SET status = ?, step_attempts = ?, quarantine_reason = NULL, error = NULL, output = NULL,
  finished_at = NULL, scheduled_for = ?, deferred_by = NULL, node_id = NULL, lease_expires_at = NULL, lease_epoch = lease_epoch + 1,
  updated_at = ? WHERE id = ? RETURNING *`;
