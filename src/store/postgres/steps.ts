import { LeaseLostError } from "../../core/errors/run-errors.js";
import type { JsonValue } from "../../core/canonical-json.js";
import { RunStatus } from "../../core/status.js";
import type { ErrorInfo, Lease } from "../records.js";
import type { Checkpoint, StepFailure } from "../store.js";
import {
  checkpointTransitions,
  deferChange,
  failureTransitions,
  checkpointParams,
  leaveRunningSet,
  leftRunningTransition,
  quarantineChange,
  rescheduleChange,
  returnChange,
  startedTransition,
  type LeaveRunning,
} from "../run-changes.js";
import { insertTransition, type PgConn } from "./context.js";

/**
 * Writes of a node to a run it holds. Each one first updates the run row under the lease's
 * epoch (the row lock makes a racing claim or cancel wait, and the check is made again once it
 * commits); no row updated means the lease moved on, and the whole transaction is rolled back.
 */
export async function fence(
  c: PgConn,
  lease: Lease,
  set: string,
  params: unknown[],
): Promise<string> {
  const row = await c.get<{ trace_id: string }>(fenceSql(set), [...params, ...fenceParams(lease)]);
  if (!row) throw new LeaseLostError(lease.runId, lease.epoch);
  return lease.traceId ?? row.trace_id;
}

function fenceSql(set: string): string {
  return `UPDATE runs SET ${set} WHERE id = ? AND node_id = ? AND lease_epoch = ? AND status = ? RETURNING trace_id`;
}

function fenceParams(lease: Lease): unknown[] {
  return [lease.runId, lease.nodeId, lease.epoch, RunStatus.running];
}

/** the checkpoint's INSERT from the fenced row (its parameters: checkpointParams) */
const insertCheckpointFromSql = `INSERT INTO step_results (run_id, step, output, output_hash, attempt, node_id, started_at, finished_at, degraded, recorded)
  SELECT ?::text, ?::text, ?::text, ?::text, ?::integer, ?::text, ?::bigint, ?::bigint, ?::integer, ?::text`;

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
  const [set, params] = finishing
    ? [
        "status = ?, output = ?, error = NULL, node_id = NULL, lease_expires_at = NULL, finished_at = ?, updated_at = ?",
        [RunStatus.succeeded, JSON.stringify(runOutput), cp.finishedAt, cp.finishedAt],
      ]
    : ["updated_at = ?", [cp.finishedAt]];
  // the fence and the checkpoint in one statement (one round trip): the checkpoint is inserted
  // only from the row the fence updated, so a lost lease writes neither
  const row = await c.get<{ trace_id: string }>(
    `WITH fenced AS (${fenceSql(set)}),
       saved AS (${insertCheckpointFromSql} FROM fenced)
     SELECT trace_id FROM fenced`,
    [...params, ...fenceParams(lease), ...checkpointParams(lease, cp)],
  );
  if (!row) throw new LeaseLostError(lease.runId, lease.epoch);
  const traceId = lease.traceId ?? row.trace_id;
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

/** The holder lets go of its run (run-changes.ts): the fenced update, and its transition. */
export async function leaveRunning(c: PgConn, lease: Lease, change: LeaveRunning): Promise<void> {
  const { set, params } = leaveRunningSet(change);
  const traceId = await fence(c, lease, set, params);
  await insertTransition(c, leftRunningTransition(lease, change, traceId));
}

export function rescheduleRun(
  c: PgConn,
  lease: Lease,
  scheduledFor: number,
  reason: string,
  now: number,
): Promise<void> {
  return leaveRunning(c, lease, rescheduleChange(scheduledFor, reason, now));
}

export async function deferRun(
  c: PgConn,
  lease: Lease,
  breaker: string,
  until: number,
  now: number,
): Promise<void> {
  // FOR SHARE: a close committing meanwhile waits for this deferral, and then wakes this run too
  const row = await c.get<{ state: string }>(
    "SELECT state FROM breakers WHERE name = ? FOR SHARE",
    [breaker],
  );
  await leaveRunning(c, lease, deferChange(breaker, until, now, row?.state === "closed"));
}

export function quarantineRun(
  c: PgConn,
  lease: Lease,
  reason: string,
  error: ErrorInfo,
  now: number,
): Promise<void> {
  return leaveRunning(c, lease, quarantineChange(reason, error, now));
}

export function returnRun(c: PgConn, lease: Lease, reason: string, now: number): Promise<void> {
  return leaveRunning(c, lease, returnChange(reason, now));
}
