import type { JsonValue } from "../../core/canonical-json.js";
import { InvalidInputError, NotFoundError } from "../../core/errors/definition-errors.js";
import { IllegalTransitionError } from "../../core/errors/run-errors.js";
import { RunStatus, StepStatus, terminalRunStatuses } from "../../core/status.js";
import { AuditAction } from "../audit.js";
import type { ReasonedChange } from "../operator-change.js";
import type { RetryRequest, RetryResult } from "../operator-requests.js";
import type { RunRecord } from "../records.js";
import { runFromRow, type Row } from "../rows.js";
import { insertAudit } from "./audit.js";
import { insertTransition, type SqliteContext } from "./context.js";
import { cancelRun as cancelOnly, getRun } from "./runs.js";

/**
 * The operator's hand-made changes to one run: cancel and retry (purge.ts deletes many). Each
 * writes its transitions and its audit entry in the same transaction as the change; a refused
 * change writes nothing.
 */
export function cancelRun(ctx: SqliteContext, runId: string, change: ReasonedChange): RunRecord {
  const { reason, actor, at, audit } = change;
  return ctx.write(() => {
    const from = getRun(ctx, runId)?.status;
    const run = cancelOnly(ctx, runId, reason, actor, at);
    if (audit) {
      insertAudit(ctx, {
        at,
        actor,
        action: audit.action,
        target: runId,
        reason,
        details: { from: from ?? null, ...audit.details },
      });
    }
    return run;
  });
}

export function retryRun(ctx: SqliteContext, runId: string, req: RetryRequest): RetryResult {
  return ctx.write(() => {
    const run = getRun(ctx, runId);
    if (!run) throw new NotFoundError("run", runId);
    // the table also lets a running run go back to pending, but that is its holder's move (a
    // retry scheduled, a lease lost): an operator restarts only runs that finished
    if (!terminalRunStatuses.has(run.status))
      throw new IllegalTransitionError(
        "run",
        run.status,
        "pending",
        runId,
        `only quarantined, cancelled or succeeded runs can be retried; this one is ${run.status} (cancel it first to start it over)`,
      );
    if (run.status === "succeeded" && req.clearSteps.length === 0)
      throw new InvalidInputError(
        `run ${runId} succeeded: retrying it without clearing a step would run nothing; name the step to run again from`,
        { field: "fromStep", runId },
      );
    const checkpointed = new Set(
      (ctx.sql("SELECT step FROM step_results WHERE run_id = ?").all(runId) as Row[]).map(
        (r) => r.step as string,
      ),
    );
    const cleared = req.clearSteps.filter((s) => checkpointed.has(s));
    ctx
      .sql("DELETE FROM step_results WHERE run_id = ? AND step IN (SELECT value FROM json_each(?))")
      .run(runId, JSON.stringify(cleared));
    const kept = new Set([...checkpointed].filter((s) => !cleared.includes(s)));
    // a step that runs again starts over at attempt 1: failed attempts count only for kept steps
    const stepAttempts = Object.fromEntries(
      Object.entries(run.stepAttempts).filter(([step]) => kept.has(step)),
    );
    const row = ctx
      .sql(
        `UPDATE runs SET status = ?, step_attempts = ?, quarantine_reason = NULL, error = NULL, output = NULL,
          finished_at = NULL, scheduled_for = ?, node_id = NULL, lease_expires_at = NULL, lease_epoch = lease_epoch + 1,
          updated_at = ? WHERE id = ? RETURNING *`,
      )
      .get(RunStatus.pending, JSON.stringify(stepAttempts), req.now, req.now, runId) as Row;
    const details: Record<string, JsonValue> = {
      note: req.note,
      fromStep: req.fromStep ?? null,
      cleared,
      ...(req.redoDegraded ? { redoDegraded: true } : {}),
    };
    const transition = { runId, actor: req.actor, at: req.now, traceId: run.traceId };
    insertTransition(ctx, {
      ...transition,
      step: null,
      from: run.status,
      to: RunStatus.pending,
      reason: "operator_retry",
      details,
    });
    for (const step of cleared)
      insertTransition(ctx, {
        ...transition,
        step,
        from: StepStatus.succeeded,
        to: StepStatus.pending,
        reason: "cleared",
      });
    // steps left failed or running (cancelled mid-flight) go back to pending too, so each step's
    // trail reads pending -> running again when it is claimed
    for (const { step, to } of lastStepStates(ctx, runId)) {
      if (
        kept.has(step) ||
        cleared.includes(step) ||
        (to !== StepStatus.failed && to !== StepStatus.running)
      )
        continue;
      insertTransition(ctx, {
        ...transition,
        step,
        from: to,
        to: StepStatus.pending,
        reason: "operator_retry",
      });
    }
    insertAudit(ctx, {
      at: req.now,
      actor: req.actor,
      action: AuditAction.runRetry,
      target: runId,
      reason: req.note,
      details: { ...details, from: run.status },
    });
    return { run: runFromRow(row), from: run.status, cleared };
  });
}

function lastStepStates(ctx: SqliteContext, runId: string): { step: string; to: string }[] {
  return ctx
    .sql(
      `SELECT step, to_status AS "to" FROM transitions WHERE id IN (
         SELECT max(id) FROM transitions WHERE run_id = ? AND step IS NOT NULL GROUP BY step)
       ORDER BY id`,
    )
    .all(runId) as { step: string; to: string }[];
}
