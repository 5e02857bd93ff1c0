import { statSync } from "node:fs";
import {
  checkEndedRunsDeletion,
  type EndedRunsDeletion,
  type VacuumReport,
} from "../retention-store.js";
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

/**
 * VACUUM rewrites the file without its free pages; the WAL is checkpointed and truncated before
 * (so the copy starts from every commit) and after (so the file's size is the whole store).
 */
export function vacuum(ctx: SqliteContext, path: string): VacuumReport {
  const size = (): number => fileBytes(path) + fileBytes(`${path}-wal`);
  ctx.db.pragma("wal_checkpoint(TRUNCATE)");
  const bytesBefore = size();
  ctx.db.exec("VACUUM");
  ctx.db.pragma("wal_checkpoint(TRUNCATE)");
  const tables = (
    ctx
      .sql(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
      )
      .all() as Row[]
  ).map((r) => r.name as string);
  return { bytesBefore, bytesAfter: size(), tables };
}

function fileBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0; // no WAL file: nothing in it
  }
}
