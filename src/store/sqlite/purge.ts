import { purgeAudit, purgeFilter, purgeSelection, checkPurge } from "../run-changes.js";
import type { PurgeRequest, PurgeResult } from "../operator-requests.js";
import type { Row } from "../rows.js";
import { insertAudit } from "./audit.js";
import type { SqliteContext } from "./context.js";

/**
 * Purging the quarantine: quarantined runs, with their checkpoints and transitions, deleted in
 * one transaction with the purge's audit entry. No other status is ever deleted.
 */
export function purgeRuns(ctx: SqliteContext, req: PurgeRequest): PurgeResult {
  checkPurge(req);
  return ctx.write(() => {
    const filter = purgeFilter(req);
    const ids = purgeSelection(
      req,
      (
        ctx
          .sql(`SELECT id FROM runs WHERE ${filter.where} ORDER BY id`)
          .all(...filter.params) as Row[]
      ).map((r) => r.id as string),
    );
    if (req.dryRun) return { ids, count: ids.length, dryRun: true };
    const list = JSON.stringify(ids);
    // the status test again: a purge can never take anything but a quarantined run with it
    deleteRunRows(ctx, list, "quarantined");
    insertAudit(ctx, purgeAudit(req, ids));
    return { ids, count: ids.length, dryRun: false };
  });
}

/**
 * Deletes the runs of `list` (a JSON array of ids) that are in `status`, with their checkpoints and
 * transitions; returns how many runs went. The status test is repeated here so a run that moved on
 * since it was selected is never taken. Call inside a write transaction.
 */
export function deleteRunRows(ctx: SqliteContext, list: string, status: string): number {
  // the ids of the transitions deleted here are never handed out again (context.ts)
  ctx
    .sql(
      "UPDATE transition_ids SET high_water = max(high_water, coalesce((SELECT max(id) FROM transitions), 0))",
    )
    .run();
  ctx.sql("DELETE FROM step_results WHERE run_id IN (SELECT value FROM json_each(?))").run(list);
  ctx.sql("DELETE FROM transitions WHERE run_id IN (SELECT value FROM json_each(?))").run(list);
  ctx.sql("DELETE FROM step_progress WHERE run_id IN (SELECT value FROM json_each(?))").run(list);
  ctx.sql("DELETE FROM gates WHERE run_id IN (SELECT value FROM json_each(?))").run(list);
  return ctx
    .sql("DELETE FROM runs WHERE status = ? AND id IN (SELECT value FROM json_each(?))")
    .run(status, list).changes;
}
