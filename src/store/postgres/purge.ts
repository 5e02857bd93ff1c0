import type { PurgeRequest, PurgeResult } from "../operator-requests.js";
import { purgeAudit, purgeFilter, purgeSelection } from "../run-changes.js";
import { insertAudit } from "./audit.js";
import type { PgConn } from "./context.js";

/**
 * Purging the quarantine: quarantined runs, with their checkpoints and transitions, deleted in
 * one transaction with the purge's audit entry. No other status is ever deleted. Transition ids
 * come from a sequence, so the deleted ones are never handed out again.
 */
export async function purgeRuns(c: PgConn, req: PurgeRequest): Promise<PurgeResult> {
  const filter = purgeFilter(req);
  // FOR UPDATE: a run retried meanwhile is not deleted under the retry
  const ids = purgeSelection(
    req,
    (
      await c.all<{ id: string }>(
        `SELECT id FROM runs WHERE ${filter.where} ORDER BY id FOR UPDATE`,
        filter.params,
      )
    ).map((r) => r.id),
  );
  if (req.dryRun) return { ids, count: ids.length, dryRun: true };
  await c.run("DELETE FROM step_results WHERE run_id = ANY(?::text[])", [ids]);
  await c.run("DELETE FROM transitions WHERE run_id = ANY(?::text[])", [ids]);
  await c.run("DELETE FROM step_progress WHERE run_id = ANY(?::text[])", [ids]);
  await c.run("DELETE FROM gates WHERE run_id = ANY(?::text[])", [ids]);
  // the status test again: a purge can never take anything but a quarantined run with it
  await c.run("DELETE FROM runs WHERE status = 'quarantined' AND id = ANY(?::text[])", [ids]);
  await insertAudit(c, purgeAudit(req, ids));
  return { ids, count: ids.length, dryRun: false };
}
