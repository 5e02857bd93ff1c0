import { type EndedRunsDeletion } from "../retention-store.js";
import type { PgConn } from "./context.js";

/**
 * One retention batch: the oldest ended runs of a status, with their checkpoints and transitions,
 * deleted in one short transaction. SKIP LOCKED: two nodes sweeping at once take different runs,
 * and a run an operator is retrying right now is left for the next sweep.
 */
export async function deleteEndedRuns(c: PgConn, req: EndedRunsDeletion): Promise<number> {
  const ids = (
    await c.all<{ id: string }>(
      `SELECT id FROM runs WHERE status = ? AND finished_at < ?
       ORDER BY finished_at, id LIMIT ? FOR UPDATE SKIP LOCKED`,
      [req.status, req.finishedBefore, req.limit],
    )
  ).map((r) => r.id);
  if (ids.length === 0) return 0;
  await c.run("DELETE FROM step_results WHERE run_id = ANY(?::text[])", [ids]);
  await c.run("DELETE FROM transitions WHERE run_id = ANY(?::text[])", [ids]);
  return c.run("DELETE FROM runs WHERE status = ? AND id = ANY(?::text[])", [req.status, ids]);
}
