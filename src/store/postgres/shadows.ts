import { ShadowActiveError } from "../../core/errors/shadow-errors.js";
import type { OperatorChange } from "../operator-change.js";
import type {
  ShadowClaim,
  ShadowComparison,
  ShadowCursor,
  ShadowRecord,
  ShadowTally,
} from "../shadow-rows.js";
import * as shadowRows from "../shadow-rows.js";
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
  const active = await c.get(shadowRows.activeShadowSql, [shadow.pipeline]);
  if (active) throw new ShadowActiveError(shadow.pipeline, shadowRows.shadowFromRow(active));
  await c.run(shadowRows.insertShadowSql, shadowRows.shadowParams(shadow));
  const audit = shadowRows.shadowAudit(shadow, change, "start");
  if (audit) await insertAudit(c, audit);
}

export async function stopShadow(
  c: PgConn,
  pipeline: string,
  change: OperatorChange,
): Promise<ShadowRecord | undefined> {
  const row = await c.get(`${shadowRows.activeShadowSql} FOR UPDATE`, [pipeline]);
  if (!row) return undefined;
  await c.run(shadowRows.stopShadowSql, [change.at, change.actor, row.id]);
  const stopped = {
    ...shadowRows.shadowFromRow(row),
    stoppedAt: change.at,
    stoppedBy: change.actor,
  };
  const audit = shadowRows.shadowAudit(stopped, change, "stop");
  if (audit) await insertAudit(c, audit);
  return stopped;
}

export async function listShadows(c: PgConn): Promise<ShadowRecord[]> {
  return (await c.all(shadowRows.listShadowsSql)).map(shadowRows.shadowFromRow);
}

export async function getShadow(c: PgConn, id: string): Promise<ShadowRecord | undefined> {
  const row = await c.get(shadowRows.getShadowSql, [id]);
  return row ? shadowRows.shadowFromRow(row) : undefined;
}

export async function scanShadowRuns(
  c: PgConn,
  shadowId: string,
  until: number,
  limit: number,
): Promise<{ after: ShadowCursor; runs: { id: string; finishedAt: number }[] }> {
  const shadow = await c.get(shadowRows.getShadowSql, [shadowId]);
  if (!shadow) return { after: { at: 0, id: "" }, runs: [] };
  const cursor = await c.get(shadowRows.cursorSql, [shadowId]);
  const after = { at: Number(cursor?.cursor_at), id: cursor?.cursor_id as string };
  const rows = await c.all(shadowRows.scanRunsSql, [
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
  for (const runId of runIds) queued += await c.run(shadowRows.queueRunSql, [shadowId, runId, now]);
  await c.run(shadowRows.advanceCursorSql, shadowRows.advanceCursorParams(shadowId, to));
  return queued;
}

export async function claimShadowRun(
  c: PgConn,
  nodeId: string,
  now: number,
  leaseMs: number,
): Promise<ShadowClaim | undefined> {
  const row = await c.get(`${shadowRows.nextClaimSql} FOR UPDATE OF r SKIP LOCKED`, [
    now,
    now - 60_000,
  ]);
  if (!row) return undefined;
  await c.run(shadowRows.claimRunSql, [nodeId, now + leaseMs, row.shadow_id, row.run_id]);
  return shadowRows.claimFromRow(row);
}

export async function finishShadowRun(
  c: PgConn,
  comparison: ShadowComparison,
  nodeId: string,
): Promise<boolean> {
  if ((await c.run(shadowRows.finishRunSql, shadowRows.finishRunParams(comparison, nodeId))) === 0)
    return false;
  for (const s of comparison.steps)
    await c.run(shadowRows.insertStepSql, shadowRows.stepParams(comparison, s));
  return true;
}

export async function releaseShadowRun(
  c: PgConn,
  shadowId: string,
  runId: string,
  nodeId: string,
): Promise<void> {
  await c.run(shadowRows.releaseRunSql, [shadowId, runId, nodeId]);
}

export async function shadowTally(c: PgConn, shadowId: string): Promise<ShadowTally> {
  return shadowRows.tallyOf(
    await c.all(shadowRows.tallyRunsSql, [shadowId]),
    await c.all(shadowRows.tallyClassesSql, [shadowId]),
    await c.all(shadowRows.tallyStepsSql, [shadowId]),
    await c.all(shadowRows.sampleStepsSql, [shadowId, shadowRows.sampleLimit]),
    await c.all(shadowRows.versionsSql, [shadowId]),
  );
}
