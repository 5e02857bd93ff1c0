import type { StepResultRecord } from "../records.js";
import { runFromRow } from "../rows.js";
import type { ClaimRequest, ClaimedRun, HeldRun } from "../store.js";
import { insertTransition, type PgContext, type PgConn } from "./context.js";
import { lowestPriority } from "./runs.js";
import {
  checkpointsByRun,
  claimedRuns,
  claimedTransition,
  claimingNodeFilter,
  placementFilter,
  returnedTransition,
} from "../run-changes.js";

/**
 * Claims and leases. A claim locks its pending rows with FOR UPDATE SKIP LOCKED, so nodes
 * claiming at once each take other runs instead of queueing behind one another; every claim bumps
 * the run's lease epoch, the fencing token every later write of the claiming node must show.
 * Lease expiry is reckoned on the lease clock (PgContext.nowSql): the database's by default.
 */
export async function claimRuns(
  ctx: PgContext,
  c: PgConn,
  req: ClaimRequest,
  limit: number,
): Promise<ClaimedRun[]> {
  const rows = await c.all(
    `WITH picked AS (
       SELECT id FROM runs WHERE status = 'pending' AND scheduled_for <= ?
         AND pipeline = ANY(?::text[]) AND priority >= ?
         ${placementFilter("json_array_elements_text(runs.requires::json) AS r(value)", "r.value = ANY(?::text[])")}
         ${claimingNodeFilter}
       ORDER BY priority DESC, scheduled_for, id LIMIT ? FOR UPDATE SKIP LOCKED)
     UPDATE runs SET status = 'running', node_id = ?, lease_epoch = lease_epoch + 1,
       lease_expires_at = ${ctx.nowSql()} + ?, started_at = coalesce(started_at, ?), updated_at = ?
     FROM picked WHERE runs.id = picked.id RETURNING runs.*`,
    [
      req.now,
      req.pipelines,
      req.minPriority ?? lowestPriority,
      req.pool ?? "",
      [...(req.capabilities ?? [])],
      req.nodeId,
      limit,
      req.nodeId,
      ...ctx.nowParams(req.now),
      req.leaseMs,
      req.now,
      req.now,
    ],
  );
  if (rows.length === 0) return [];
  // RETURNING keeps no order: back to the claim's, priority, then due time, then id
  const runs = rows
    .map(runFromRow)
    .sort(
      (a, b) =>
        b.priority - a.priority ||
        a.scheduledFor - b.scheduledFor ||
        (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
  for (const run of runs) await insertTransition(c, claimedTransition(run, req.nodeId, req.now));
  // a run claimed for the first time (epoch 1) has no checkpoint: every checkpoint is written
  // under a lease, and each claim after that one bumps the epoch again; this saves a batch a round trip
  const claimedBefore = runs.filter((r) => r.leaseEpoch > 1).map((r) => r.id);
  const checkpoints =
    claimedBefore.length > 0 ? await loadCheckpoints(c, claimedBefore) : new Map();
  return claimedRuns(runs, req.nodeId, checkpoints, rows);
}

async function loadCheckpoints(
  c: PgConn,
  runIds: string[],
): Promise<Map<string, StepResultRecord[]>> {
  const rows = await c.all("SELECT * FROM step_results WHERE run_id = ANY(?::text[])", [runIds]);
  return checkpointsByRun(rows);
}

export async function heartbeat(
  ctx: PgContext,
  c: PgConn,
  nodeId: string,
  now: number,
  leaseMs: number,
): Promise<HeldRun[]> {
  // a node marked offline while it was only slow comes back as active
  await c.run(
    `UPDATE nodes SET heartbeat_at = ${ctx.nowSql()}, state = CASE WHEN state = 'offline' THEN 'active' ELSE state END WHERE id = ?`,
    [...ctx.nowParams(now), nodeId],
  );
  const rows = await c.all<{ id: string; lease_epoch: number }>(
    `UPDATE runs SET lease_expires_at = ${ctx.nowSql()} + ? WHERE node_id = ? AND status = 'running'
     RETURNING id, lease_epoch`,
    [...ctx.nowParams(now), leaseMs, nodeId],
  );
  return rows.map((r) => ({ runId: r.id, epoch: r.lease_epoch }));
}

/** Puts running runs back to pending, one transition each; `where` selects them. */
async function returnToPending(
  c: PgConn,
  where: string,
  params: unknown[],
  reason: string,
  now: number,
): Promise<string[]> {
  const rows = await c.all<{ id: string; trace_id: string; lease_epoch: number }>(
    `UPDATE runs SET status = 'pending', node_id = NULL, lease_expires_at = NULL, updated_at = ?
     WHERE status = 'running' AND ${where} RETURNING id, trace_id, lease_epoch`,
    [now, ...params],
  );
  rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const row of rows) await insertTransition(c, returnedTransition(row, reason, now));
  return rows.map((r) => r.id);
}

export function releaseNodeRuns(
  c: PgConn,
  nodeId: string,
  reason: string,
  now: number,
): Promise<string[]> {
  return returnToPending(c, "node_id = ?", [nodeId], reason, now);
}

export function recoverExpiredLeases(
  ctx: PgContext,
  c: PgConn,
  now: number,
  exceptNodeId?: string,
): Promise<string[]> {
  const expired = `lease_expires_at < ${ctx.nowSql()}`;
  return exceptNodeId === undefined
    ? returnToPending(c, expired, ctx.nowParams(now), "lease_expired", now)
    : returnToPending(
        c,
        `${expired} AND node_id IS DISTINCT FROM ?`,
        [...ctx.nowParams(now), exceptNodeId],
        "lease_expired",
        now,
      );
}
