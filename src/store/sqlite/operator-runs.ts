import { NotFoundError } from "../../core/errors/definition-errors.js";
import { RunStatus } from "../../core/status.js";
import type { ReasonedChange } from "../operator-change.js";
import type { RetryRequest, RetryResult } from "../operator-requests.js";
import type { RunRecord } from "../records.js";
import { runFromRow, type Row } from "../rows.js";
import {
  lastStepStatesSql,
  planRetry,
  retryAudit,
  retryRunSql,
  retryTransitions,
} from "../run-changes.js";
import { clearRetriedGatesSql } from "../gate-rows.js";
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
    const checkpointed = new Set(
      (ctx.sql("SELECT step FROM step_results WHERE run_id = ?").all(runId) as Row[]).map(
        (r) => r.step as string,
      ),
    );
    const plan = planRetry(run, req, checkpointed);
    ctx
      .sql("DELETE FROM step_results WHERE run_id = ? AND step IN (SELECT value FROM json_each(?))")
      .run(runId, JSON.stringify(plan.cleared));
    ctx.sql(clearRetriedGatesSql).run(runId, runId);
    const row = ctx
      .sql(retryRunSql)
      .get(RunStatus.pending, JSON.stringify(plan.stepAttempts), req.now, req.now, runId) as Row;
    const lastStates = ctx.sql(lastStepStatesSql).all(runId) as { step: string; to: string }[];
    for (const t of retryTransitions(run, req, plan, checkpointed, lastStates))
      insertTransition(ctx, t);
    if (req.audit !== false) insertAudit(ctx, retryAudit(run, req, plan));
    return { run: runFromRow(row), from: run.status, cleared: plan.cleared };
  });
}
