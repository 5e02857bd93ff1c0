import { ShadowActiveError } from "../../core/errors/shadow-errors.js";
import type { OperatorChange } from "../operator-change.js";
import {
  activeShadowSql,
  advanceCursorParams,
  advanceCursorSql,
  claimFromRow,
  claimRunSql,
  cursorSql,
  finishRunParams,
  finishRunSql,
  getShadowSql,
  insertShadowSql,
  insertStepSql,
  listShadowsSql,
  nextClaimSql,
  queueRunSql,
  releaseRunSql,
  sampleLimit,
  sampleStepsSql,
  scanRunsSql,
  shadowAudit,
  shadowFromRow,
  shadowParams,
  stepParams,
  stopShadowSql,
  tallyOf,
  tallyClassesSql,
  tallyRunsSql,
  tallyStepsSql,
  versionsSql,
  type ShadowClaim,
  type ShadowComparison,
  type ShadowCursor,
  type ShadowRecord,
  type ShadowTally,
} from "../shadow-rows.js";
import { insertAudit } from "./audit.js";
import type { PgConn } from "./context.js";

/**
 * Shadow runs, each write in the caller's transaction. Two starters of one pipeline race on the
 * shadows_active unique index: the loser's insert fails and rolls back. A claim skips rows another
 * node has locked, so two nodes never take the same run.
 */
export async function startShadow(
  c: PgConn,
  shadow: ShadowRecord,
  change: OperatorChange,
): Promise<void> {
  const active = await c.get(activeShadowSql, [shadow.pipeline]);
  if (active) throw new ShadowActiveError(shadow.pipeline, shadowFromRow(active));
  await c.run(insertShadowSql, shadowParams(shadow));
  const audit = shadowAudit(shadow, change, "start");
  if (audit) await insertAudit(c, audit);
}

export async function stopShadow(
  c: PgConn,
  pipeline: string,
  change: OperatorChange,
): Promise<ShadowRecord | undefined> {
  const row = await c.get(`${activeShadowSql} FOR UPDATE`, [pipeline]);
  if (!row) return undefined;
  await c.run(stopShadowSql, [change.at, change.actor, row.id]);
  const stopped = { ...shadowFromRow(row), stoppedAt: change.at, stoppedBy: change.actor };
  const audit = shadowAudit(stopped, change, "stop");
  if (audit) await insertAudit(c, audit);
  return stopped;
}

export async function listShadows(c: PgConn): Promise<ShadowRecord[]> {
  return (await c.all(listShadowsSql)).map(shadowFromRow);
}

export async function getShadow(c: PgConn, id: string): Promise<ShadowRecord | undefined> {
  const row = await c.get(getShadowSql, [id]);
  return row ? shadowFromRow(row) : undefined;
}

export async function scanShadowRuns(
  c: PgConn,
  shadowId: string,
  until: number,
  limit: number,
): Promise<{ after: ShadowCursor; runs: { id: string; finishedAt: number }[] }> {
  const shadow = await c.get(getShadowSql, [shadowId]);
  if (!shadow) return { after: { at: 0, id: "" }, runs: [] };
  const cursor = await c.get(cursorSql, [shadowId]);
  const after = { at: Number(cursor?.cursor_at), id: cursor?.cursor_id as string };
  const rows = await c.all(scanRunsSql, [
    shadow.pipeline,
    until,
    after.at,
    after.at,
    after.id,
    limit,
  ]);
  return {
    after,
    runs: rows.map((r) => ({ id: r.id as string, finishedAt: Number(r.finished_at) })),
  };
}

export async function queueShadowRuns(
  c: PgConn,
  shadowId: string,
  runIds: string[],
  to: ShadowCursor,
  now: number,
): Promise<number> {
  let queued = 0;
  for (const runId of runIds) queued += await c.run(queueRunSql, [shadowId, runId, now]);
  await c.run(advanceCursorSql, advanceCursorParams(shadowId, to));
  return queued;
}

export async function claimShadowRun(
  c: PgConn,
  nodeId: string,
  now: number,
  leaseMs: number,
): Promise<ShadowClaim | undefined> {
  const row = await c.get(`${nextClaimSql} FOR UPDATE OF r SKIP LOCKED`, [now, now - 60_000]);
  if (!row) return undefined;
  await c.run(claimRunSql, [nodeId, now + leaseMs, row.shadow_id, row.run_id]);
  return claimFromRow(row);
}

export async function finishShadowRun(
  c: PgConn,
  comparison: ShadowComparison,
  nodeId: string,
): Promise<boolean> {
  if ((await c.run(finishRunSql, finishRunParams(comparison, nodeId))) === 0) return false;
  for (const s of comparison.steps) await c.run(insertStepSql, stepParams(comparison, s));
  return true;
}

export async function releaseShadowRun(
  c: PgConn,
  shadowId: string,
  runId: string,
  nodeId: string,
): Promise<void> {
  await c.run(releaseRunSql, [shadowId, runId, nodeId]);
}

export async function shadowTally(c: PgConn, shadowId: string): Promise<ShadowTally> {
  return tallyOf(
    await c.all(tallyRunsSql, [shadowId]),
    await c.all(tallyClassesSql, [shadowId]),
    await c.all(tallyStepsSql, [shadowId]),
    await c.all(sampleStepsSql, [shadowId, sampleLimit]),
    await c.all(versionsSql, [shadowId]),
  );
}
