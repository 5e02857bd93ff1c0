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
  insertCheckpointSql,
  leaveRunningSet,
  leftRunningTransition,
  quarantineChange,
  rescheduleChange,
  returnChange,
  startedTransition,
  type LeaveRunning,
} from "../run-changes.js";
import { insertTransition, type SqliteContext } from "./context.js";

/**
 * Writes of a node to a run it holds. Each one first touches the run row under the lease's epoch;
 * no row touched means the lease moved on, and the whole transaction is rolled back.
 */
export function fence(ctx: SqliteContext, lease: Lease, set: string, params: unknown[]): string {
  // without RETURNING: it made SQLite's UPDATE about half again as costly (10-14 against 6-10 us)
  const { changes } = ctx
    .sql(`UPDATE runs SET ${set} WHERE id = ? AND node_id = ? AND lease_epoch = ? AND status = ?`)
    .run(...params, lease.runId, lease.nodeId, lease.epoch, RunStatus.running);
  if (changes === 0) throw new LeaseLostError(lease.runId, lease.epoch);
  // a claim's lease carries the trace id; a lease the heartbeat made again from the store does not
  return (
    lease.traceId ??
    (ctx.sql("SELECT trace_id FROM runs WHERE id = ?").pluck().get(lease.runId) as string)
  );
}

export function startStep(
  ctx: SqliteContext,
  lease: Lease,
  step: string,
  attempt: number,
  from: string,
  now: number,
): void {
  ctx.write(() => {
    const traceId = fence(ctx, lease, "updated_at = ?", [now]);
    insertTransition(ctx, startedTransition(lease, step, attempt, { from, at: now }, traceId));
  });
}

export function completeStep(
  ctx: SqliteContext,
  lease: Lease,
  cp: Checkpoint,
  runOutput?: JsonValue,
): void {
  ctx.write(() => {
    const finishing = runOutput !== undefined;
    const traceId = finishing
      ? fence(
          ctx,
          lease,
          "status = ?, output = ?, error = NULL, node_id = NULL, lease_expires_at = NULL, finished_at = ?, updated_at = ?",
          [RunStatus.succeeded, JSON.stringify(runOutput), cp.finishedAt, cp.finishedAt],
        )
      : fence(ctx, lease, "updated_at = ?", [cp.finishedAt]);
    ctx.sql(insertCheckpointSql).run(...checkpointParams(lease, cp));
    for (const t of checkpointTransitions(lease, cp, traceId, finishing)) insertTransition(ctx, t);
  });
}

export function recordStepFailure(ctx: SqliteContext, lease: Lease, failure: StepFailure): void {
  ctx.write(() => {
    const traceId = fence(
      ctx,
      lease,
      "attempts = attempts + 1, step_attempts = ?, error = ?, updated_at = ?",
      [JSON.stringify(failure.stepAttempts), JSON.stringify(failure.error), failure.at],
    );
    for (const t of failureTransitions(lease, failure, traceId)) insertTransition(ctx, t);
  });
}

/**
 * The holder lets go of its run (run-changes.ts decides what each way of leaving writes): the
 * fenced update that also clears the lease, and the run's transition out of running, in one
 * transaction.
 */
export function leaveRunning(ctx: SqliteContext, lease: Lease, change: LeaveRunning): void {
  ctx.write(() => {
    const { set, params } = leaveRunningSet(change);
    const traceId = fence(ctx, lease, set, params);
    insertTransition(ctx, leftRunningTransition(lease, change, traceId));
  });
}

export function rescheduleRun(
  ctx: SqliteContext,
  lease: Lease,
  scheduledFor: number,
  reason: string,
  now: number,
): void {
  leaveRunning(ctx, lease, rescheduleChange(scheduledFor, reason, now));
}

export function deferRun(
  ctx: SqliteContext,
  lease: Lease,
  breaker: string,
  until: number,
  now: number,
): void {
  ctx.write(() => {
    const state = ctx.sql("SELECT state FROM breakers WHERE name = ?").pluck().get(breaker);
    leaveRunning(ctx, lease, deferChange(breaker, until, now, state === "closed"));
  });
}

export function quarantineRun(
  ctx: SqliteContext,
  lease: Lease,
  reason: string,
  error: ErrorInfo,
  now: number,
): void {
  leaveRunning(ctx, lease, quarantineChange(reason, error, now));
}

export function returnRun(ctx: SqliteContext, lease: Lease, reason: string, now: number): void {
  leaveRunning(ctx, lease, returnChange(reason, now));
}
