import { LeaseLostError } from "../../core/errors/run-errors.js";
import type { JsonValue } from "../../core/canonical-json.js";
import { RunStatus } from "../../core/status.js";
import type { ErrorInfo, Lease } from "../records.js";
import type { Checkpoint, StepFailure } from "../store.js";
import {
  checkpointTransitions,
  failureTransitions,
  checkpointParams,
  insertCheckpointSql,
  startedTransition,
} from "../run-changes.js";
import { insertTransition, type PgConn } from "./context.js";

/**
 * Writes of a node to a run it holds. Each one first updates the run row under the lease's
 * epoch (the row lock makes a racing claim or cancel wait, and the check is made again once it
 * commits); no row updated means the lease moved on, and the whole transaction is rolled back.
 */
async function fence(c: PgConn, lease: Lease, set: string, params: unknown[]): Promise<string> {
  const row = await c.get<{ trace_id: string }>(
    `UPDATE runs SET ${set} WHERE id = ? AND node_id = ? AND lease_epoch = ? AND status = ? RETURNING trace_id`,
    [...params, lease.runId, lease.nodeId, lease.epoch, RunStatus.running],
  );
  if (!row) throw new LeaseLostError(lease.runId, lease.epoch);
  return lease.traceId ?? row.trace_id;
}

export async function startStep(
  c: PgConn,
  lease: Lease,
  step: string,
  attempt: number,
  from: string,
  now: number,
): Promise<void> {
  const traceId = await fence(c, lease, "updated_at = ?", [now]);
  await insertTransition(c, startedTransition(lease, step, attempt, { from, at: now }, traceId));
}

export async function completeStep(
  c: PgConn,
  lease: Lease,
  cp: Checkpoint,
  runOutput?: JsonValue,
): Promise<void> {
  const finishing = runOutput !== undefined;
  const traceId = finishing
    ? await fence(
        c,
        lease,
        "status = ?, output = ?, error = NULL, node_id = NULL, lease_expires_at = NULL, finished_at = ?, updated_at = ?",
        [RunStatus.succeeded, JSON.stringify(runOutput), cp.finishedAt, cp.finishedAt],
      )
    : await fence(c, lease, "updated_at = ?", [cp.finishedAt]);
  await c.run(insertCheckpointSql, checkpointParams(lease, cp));
  for (const t of checkpointTransitions(lease, cp, traceId, finishing))
    await insertTransition(c, t);
}

export async function recordStepFailure(
  c: PgConn,
  lease: Lease,
  failure: StepFailure,
): Promise<void> {
  const traceId = await fence(
    c,
    lease,
    "attempts = attempts + 1, step_attempts = ?, error = ?, updated_at = ?",
    [JSON.stringify(failure.stepAttempts), JSON.stringify(failure.error), failure.at],
  );
  for (const t of failureTransitions(lease, failure, traceId)) await insertTransition(c, t);
}

/** The holder lets go of its run: the fenced update that clears the lease, and its transition. */
async function leaveRunning(
  c: PgConn,
  lease: Lease,
  change: {
    to: typeof RunStatus.pending | typeof RunStatus.quarantined;
    /** the other columns it sets, each followed by ", " */
    set: string;
    params: unknown[];
    reason: string;
    now: number;
    details?: JsonValue;
  },
): Promise<void> {
  const traceId = await fence(
    c,
    lease,
    `status = ?, ${change.set}node_id = NULL, lease_expires_at = NULL, updated_at = ?`,
    [change.to, ...change.params, change.now],
  );
  await insertTransition(c, {
    runId: lease.runId,
    step: null,
    from: RunStatus.running,
    to: change.to,
    reason: change.reason,
    actor: lease.nodeId,
    at: change.now,
    traceId,
    details: change.details,
  });
}

export function rescheduleRun(
  c: PgConn,
  lease: Lease,
  scheduledFor: number,
  reason: string,
  now: number,
): Promise<void> {
  return leaveRunning(c, lease, {
    to: RunStatus.pending,
    // a retry waits its own delay: no breaker may make it due early
    set: "scheduled_for = ?, deferred_by = NULL, ",
    params: [scheduledFor],
    reason,
    now,
    details: { scheduledFor },
  });
}

export async function deferRun(
  c: PgConn,
  lease: Lease,
  breaker: string,
  until: number,
  now: number,
): Promise<void> {
  // the breaker may have closed since the node looked: its wake-up is past, so be due at once.
  // FOR SHARE: a close committing meanwhile waits for this deferral, and then wakes this run too
  const row = await c.get<{ state: string }>(
    "SELECT state FROM breakers WHERE name = ? FOR SHARE",
    [breaker],
  );
  const closed = row?.state === "closed";
  const at = closed ? now : until;
  await leaveRunning(c, lease, {
    to: RunStatus.pending,
    set: "scheduled_for = ?, deferred_by = ?, ",
    params: [at, closed ? null : breaker],
    reason: `breaker_open:${breaker}`,
    now,
    details: { breaker, until: at },
  });
}

export function quarantineRun(
  c: PgConn,
  lease: Lease,
  reason: string,
  error: ErrorInfo,
  now: number,
): Promise<void> {
  return leaveRunning(c, lease, {
    to: RunStatus.quarantined,
    set: "quarantine_reason = ?, error = ?, finished_at = ?, ",
    params: [reason, JSON.stringify(error), now],
    reason,
    now,
    details: { code: error.code, message: error.message },
  });
}

export function returnRun(c: PgConn, lease: Lease, reason: string, now: number): Promise<void> {
  return leaveRunning(c, lease, { to: RunStatus.pending, set: "", params: [], reason, now });
}
