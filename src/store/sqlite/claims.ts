import type { StepResultRecord } from "../records.js";
import { runFromRow, type Row } from "../rows.js";
import type { ClaimRequest, ClaimedRun, HeldRun } from "../store.js";
import { insertTransition, rowFromValues, type SqliteContext } from "./context.js";
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
 * Claims and leases. One BEGIN IMMEDIATE claims a batch; every claim bumps the run's lease epoch,
 * the fencing token every later write of the claiming node must show.
 */
export function claimRuns(ctx: SqliteContext, req: ClaimRequest): ClaimedRun[] {
  const limit = typeof req.limit === "function" ? req.limit() : req.limit;
  if (limit <= 0 || req.pipelines.length === 0) return [];
  return ctx.write(() => {
    // The rows first, then one UPDATE per run by primary key without RETURNING, and the row's new
    // values set here, as the UPDATE sets them: nothing can change the row in between, this
    // transaction holds the write lock. RETURNING made SQLite's UPDATE more than twice as costly
    // (21-24 against 8-11 us a run); one UPDATE ... WHERE id IN (subquery) was costlier still.
    // raw: the values of the whole row as an array, made into a row object here at about half
    // the cost of better-sqlite3's own (measured 8.3 against 10.4 us a row)
    const pick = ctx
      .sql(
        `SELECT * FROM runs INDEXED BY runs_claim WHERE status = 'pending' AND scheduled_for <= ?
           AND pipeline IN (SELECT value FROM json_each(?)) AND priority >= ?
           ${placementFilter("json_each(runs.requires) AS r", "r.value IN (SELECT value FROM json_each(?))")}
           ${claimingNodeFilter}
         ORDER BY priority DESC, scheduled_for, id LIMIT ?`,
      )
      .raw(true);
    const picked = pick.all(
      req.now,
      JSON.stringify(req.pipelines),
      req.minPriority ?? lowestPriority,
      req.pool ?? "",
      JSON.stringify(req.capabilities ?? []),
      req.nodeId,
      limit,
    ) as unknown[][];
    const claim = ctx.sql(
      `UPDATE runs SET status = 'running', node_id = ?, lease_epoch = lease_epoch + 1, lease_expires_at = ?,
        started_at = coalesce(started_at, ?), updated_at = ?
       WHERE id = ? AND status = 'pending'`,
    );
    const leaseExpiresAt = req.now + req.leaseMs;
    const rows: Row[] = [];
    for (const values of picked) {
      const row = rowFromValues(pick, values);
      if (claim.run(req.nodeId, leaseExpiresAt, req.now, req.now, row.id).changes !== 1) continue;
      row.status = "running";
      row.node_id = req.nodeId;
      row.lease_epoch = (row.lease_epoch as number) + 1;
      row.lease_expires_at = leaseExpiresAt;
      row.started_at ??= req.now;
      row.updated_at = req.now;
      rows.push(row);
    }
    if (rows.length === 0) return [];
    // in the SELECT's order: priority, then due time, then id
    const runs = rows.map(runFromRow);
    for (const run of runs) insertTransition(ctx, claimedTransition(run, req.nodeId, req.now));
    const checkpoints = loadCheckpoints(
      ctx,
      runs.map((r) => r.id),
    );
    return claimedRuns(runs, req.nodeId, checkpoints, rows);
  });
}

function loadCheckpoints(ctx: SqliteContext, runIds: string[]): Map<string, StepResultRecord[]> {
  const rows = ctx
    .sql("SELECT * FROM step_results WHERE run_id IN (SELECT value FROM json_each(?))")
    .all(JSON.stringify(runIds)) as Row[];
  return checkpointsByRun(rows);
}

export function heartbeat(
  ctx: SqliteContext,
  nodeId: string,
  now: number,
  leaseMs: number,
): HeldRun[] {
  return ctx.write(() => {
    // a node marked offline while it was only slow comes back as active
    ctx
      .sql(
        "UPDATE nodes SET heartbeat_at = ?, state = CASE WHEN state = 'offline' THEN 'active' ELSE state END WHERE id = ?",
      )
      .run(now, nodeId);
    ctx
      .sql("UPDATE runs SET lease_expires_at = ? WHERE node_id = ? AND status = 'running'")
      .run(now + leaseMs, nodeId);
    const rows = ctx
      .sql("SELECT id, lease_epoch FROM runs WHERE node_id = ? AND status = 'running'")
      .all(nodeId) as { id: string; lease_epoch: number }[];
    return rows.map((r) => ({ runId: r.id, epoch: r.lease_epoch }));
  });
}

/** Puts running runs back to pending, one transition each; `which` selects them. */
function returnToPending(
  ctx: SqliteContext,
  where: string,
  params: unknown[],
  reason: string,
  now: number,
): string[] {
  return ctx.write(() => {
    const rows = ctx
      .sql(
        `UPDATE runs SET status = 'pending', node_id = NULL, lease_expires_at = NULL, updated_at = ?
         WHERE status = 'running' AND ${where} RETURNING id, trace_id, lease_epoch`,
      )
      .all(now, ...params) as { id: string; trace_id: string; lease_epoch: number }[];
    for (const row of rows) insertTransition(ctx, returnedTransition(row, reason, now));
    return rows.map((r) => r.id);
  });
}

export function releaseNodeRuns(
  ctx: SqliteContext,
  nodeId: string,
  reason: string,
  now: number,
): string[] {
  return returnToPending(ctx, "node_id = ?", [nodeId], reason, now);
}

export function recoverExpiredLeases(
  ctx: SqliteContext,
  now: number,
  exceptNodeId?: string,
): string[] {
  return exceptNodeId === undefined
    ? returnToPending(ctx, "lease_expires_at < ?", [now], "lease_expired", now)
    : returnToPending(
        ctx,
        "lease_expires_at < ? AND node_id IS NOT ?",
        [now, exceptNodeId],
        "lease_expired",
        now,
      );
}
