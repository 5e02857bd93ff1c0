import { NotFoundError } from "../../core/errors/definition-errors.js";
import { RunStatus } from "../../core/status.js";
import type { ReasonedChange } from "../operator-change.js";
import type { RetryRequest, RetryResult } from "../operator-requests.js";
import type { RunRecord } from "../records.js";
import { runFromRow } from "../rows.js";
import {
  lastStepStatesSql,
  planRetry,
  retryAudit,
  retryRunSql,
  retryTransitions,
} from "../run-changes.js";
import { clearRetriedGatesSql } from "../gate-rows.js";
import { insertAudit } from "./audit.js";
import { insertTransition, type PgConn } from "./context.js";
import { cancelRun as cancelOnly, getRun } from "./runs.js";

/**
 * The operator's hand-made changes to one run: cancel and retry. Each writes its transitions and
 * its audit entry in the transaction of the change; a refused change writes nothing.
 */
export async function cancelRun(
  c: PgConn,
  runId: string,
  change: ReasonedChange,
): Promise<RunRecord> {
  const { reason, actor, at, audit } = change;
  const { run, from } = await cancelOnly(c, runId, reason, actor, at);
  if (audit)
    await insertAudit(c, {
      at,
      actor,
      action: audit.action,
      target: runId,
      reason,
      details: { from, ...audit.details },
    });
  return run;
}

export async function retryRun(c: PgConn, runId: string, req: RetryRequest): Promise<RetryResult> {
  const run = await getRun(c, runId, true);
  if (!run) throw new NotFoundError("run", runId);
  const checkpointed = new Set(
    (await c.all<{ step: string }>("SELECT step FROM step_results WHERE run_id = ?", [runId])).map(
      (r) => r.step,
    ),
  );
  const plan = planRetry(run, req, checkpointed);
  await c.run("DELETE FROM step_results WHERE run_id = ? AND step = ANY(?::text[])", [
    runId,
    plan.cleared,
  ]);
  await c.run(clearRetriedGatesSql, [runId, runId]);
  const row = await c.get(retryRunSql, [
    RunStatus.pending,
    JSON.stringify(plan.stepAttempts),
    req.now,
    req.now,
    runId,
  ]);
  const lastStates = await c.all<{ step: string; to: string }>(lastStepStatesSql, [runId]);
  for (const t of retryTransitions(run, req, plan, checkpointed, lastStates))
    await insertTransition(c, t);
  if (req.audit !== false) await insertAudit(c, retryAudit(run, req, plan));
  return { run: runFromRow(row ?? {}), from: run.status, cleared: plan.cleared };
}
