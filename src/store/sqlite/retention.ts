import { checkEndedRunsDeletion, type EndedRunsDeletion } from "../retention-store.js";
import type { Row } from "../rows.js";
import type { SqliteContext } from "./context.js";
import { deleteRunRows } from "./purge.js";

/**
 * One retention batch: the oldest ended runs of a status, with their checkpoints and transitions,
 * deleted in one short transaction so claims and finishes interleave between batches.
 */
export function deleteEndedRuns(ctx: SqliteContext, req: EndedRunsDeletion): number {
  checkEndedRunsDeletion(req);
  return ctx.write(() => {
    // the IN repeats the partial index's condition so the planner may use it with a bound status
    const ids = (
      ctx
        .sql(
          `SELECT id FROM runs INDEXED BY runs_ended
           WHERE status IN ('succeeded', 'cancelled') AND status = ? AND finished_at < ?
           ORDER BY status, finished_at, id LIMIT ?`,
        )
        .all(req.status, req.finishedBefore, req.limit) as Row[]
    ).map((r) => r.id as string);
    if (ids.length === 0) return 0;
    // a run retried since the select is not taken with the batch
    return deleteRunRows(ctx, JSON.stringify(ids), req.status);
  });
}
