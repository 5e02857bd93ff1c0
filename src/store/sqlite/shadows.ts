import { ShadowActiveError } from "../../core/errors/shadow-errors.js";
import type { OperatorChange } from "../operator-change.js";
import type { Row } from "../rows.js";
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
import type { SqliteContext } from "./context.js";

/** Shadow runs: each write one BEGIN IMMEDIATE, so a claim is taken by one connection only. */
export function startShadow(
  ctx: SqliteContext,
  shadow: ShadowRecord,
  change: OperatorChange,
): void {
  ctx.write(() => {
    const active = ctx.sql(activeShadowSql).get(shadow.pipeline) as Row | undefined;
    if (active) throw new ShadowActiveError(shadow.pipeline, shadowFromRow(active));
    ctx.sql(insertShadowSql).run(...shadowParams(shadow));
    const audit = shadowAudit(shadow, change, "start");
    if (audit) insertAudit(ctx, audit);
  });
}

export function stopShadow(
  ctx: SqliteContext,
  pipeline: string,
  change: OperatorChange,
): ShadowRecord | undefined {
  return ctx.write(() => {
    const row = ctx.sql(activeShadowSql).get(pipeline) as Row | undefined;
    if (!row) return undefined;
    ctx.sql(stopShadowSql).run(change.at, change.actor, row.id);
    const stopped = { ...shadowFromRow(row), stoppedAt: change.at, stoppedBy: change.actor };
    const audit = shadowAudit(stopped, change, "stop");
    if (audit) insertAudit(ctx, audit);
    return stopped;
  });
}

export function listShadows(ctx: SqliteContext): ShadowRecord[] {
  return (ctx.sql(listShadowsSql).all() as Row[]).map(shadowFromRow);
}

export function getShadow(ctx: SqliteContext, id: string): ShadowRecord | undefined {
  const row = ctx.sql(getShadowSql).get(id) as Row | undefined;
  return row ? shadowFromRow(row) : undefined;
}

export function scanShadowRuns(
  ctx: SqliteContext,
  shadowId: string,
  until: number,
  limit: number,
): { after: ShadowCursor; runs: { id: string; finishedAt: number }[] } {
  const shadow = ctx.sql(getShadowSql).get(shadowId) as Row | undefined;
  if (!shadow) return { after: { at: 0, id: "" }, runs: [] };
  const cursor = ctx.sql(cursorSql).get(shadowId) as Row;
  const after = { at: Number(cursor.cursor_at), id: cursor.cursor_id as string };
  const rows = ctx
    .sql(scanRunsSql)
    .all(shadow.pipeline, until, after.at, after.at, after.id, limit) as Row[];
  return {
    after,
    runs: rows.map((r) => ({ id: r.id as string, finishedAt: Number(r.finished_at) })),
  };
}

export function queueShadowRuns(
  ctx: SqliteContext,
  shadowId: string,
  runIds: string[],
  to: ShadowCursor,
  now: number,
): number {
  return ctx.write(() => {
    let queued = 0;
    for (const runId of runIds) queued += ctx.sql(queueRunSql).run(shadowId, runId, now).changes;
    ctx.sql(advanceCursorSql).run(...advanceCursorParams(shadowId, to));
    return queued;
  });
}

export function claimShadowRun(
  ctx: SqliteContext,
  nodeId: string,
  now: number,
  leaseMs: number,
): ShadowClaim | undefined {
  return ctx.write(() => {
    const row = ctx.sql(nextClaimSql).get(now, now - 60_000) as Row | undefined;
    if (!row) return undefined;
    ctx.sql(claimRunSql).run(nodeId, now + leaseMs, row.shadow_id, row.run_id);
    return claimFromRow(row);
  });
}

export function finishShadowRun(
  ctx: SqliteContext,
  comparison: ShadowComparison,
  nodeId: string,
): boolean {
  return ctx.write(() => {
    if (ctx.sql(finishRunSql).run(...finishRunParams(comparison, nodeId)).changes === 0)
      return false;
    for (const s of comparison.steps) ctx.sql(insertStepSql).run(...stepParams(comparison, s));
    return true;
  });
}

export function releaseShadowRun(
  ctx: SqliteContext,
  shadowId: string,
  runId: string,
  nodeId: string,
): void {
  ctx.write(() => ctx.sql(releaseRunSql).run(shadowId, runId, nodeId));
}

export function shadowTally(ctx: SqliteContext, shadowId: string): ShadowTally {
  return tallyOf(
    ctx.sql(tallyRunsSql).all(shadowId) as Row[],
    ctx.sql(tallyClassesSql).all(shadowId) as Row[],
    ctx.sql(tallyStepsSql).all(shadowId) as Row[],
    ctx.sql(sampleStepsSql).all(shadowId, sampleLimit) as Row[],
    ctx.sql(versionsSql).all(shadowId) as Row[],
  );
}
