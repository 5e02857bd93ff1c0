import { ShadowActiveError } from "../../core/errors/shadow-errors.js";
import type { OperatorChange } from "../operator-change.js";
import type { Row } from "../rows.js";
import type {
  ShadowClaim,
  ShadowComparison,
  ShadowCursor,
  ShadowRecord,
  ShadowTally,
} from "../shadow-rows.js";
import * as shadowRows from "../shadow-rows.js";
import { insertAudit } from "./audit.js";
import type { SqliteContext } from "./context.js";

/** Shadow runs: each write one BEGIN IMMEDIATE, so a claim is taken by one connection only. */
export function startShadow(
  ctx: SqliteContext,
  shadow: ShadowRecord,
  change: OperatorChange,
): void {
  ctx.write(() => {
    const active = ctx.sql(shadowRows.activeShadowSql).get(shadow.pipeline) as Row | undefined;
    if (active) throw new ShadowActiveError(shadow.pipeline, shadowRows.shadowFromRow(active));
    ctx.sql(shadowRows.insertShadowSql).run(...shadowRows.shadowParams(shadow));
    const audit = shadowRows.shadowAudit(shadow, change, "start");
    if (audit) insertAudit(ctx, audit);
  });
}

export function stopShadow(
  ctx: SqliteContext,
  pipeline: string,
  change: OperatorChange,
): ShadowRecord | undefined {
  return ctx.write(() => {
    const row = ctx.sql(shadowRows.activeShadowSql).get(pipeline) as Row | undefined;
    if (!row) return undefined;
    ctx.sql(shadowRows.stopShadowSql).run(change.at, change.actor, row.id);
    const stopped = {
      ...shadowRows.shadowFromRow(row),
      stoppedAt: change.at,
      stoppedBy: change.actor,
    };
    const audit = shadowRows.shadowAudit(stopped, change, "stop");
    if (audit) insertAudit(ctx, audit);
    return stopped;
  });
}

export function listShadows(ctx: SqliteContext): ShadowRecord[] {
  return (ctx.sql(shadowRows.listShadowsSql).all() as Row[]).map(shadowRows.shadowFromRow);
}

export function getShadow(ctx: SqliteContext, id: string): ShadowRecord | undefined {
  const row = ctx.sql(shadowRows.getShadowSql).get(id) as Row | undefined;
  return row ? shadowRows.shadowFromRow(row) : undefined;
}

export function scanShadowRuns(
  ctx: SqliteContext,
  shadowId: string,
  until: number,
  limit: number,
): { after: ShadowCursor; runs: { id: string; finishedAt: number }[] } {
  const shadow = ctx.sql(shadowRows.getShadowSql).get(shadowId) as Row | undefined;
  if (!shadow) return { after: { at: 0, id: "" }, runs: [] };
  const cursor = ctx.sql(shadowRows.cursorSql).get(shadowId) as Row;
  const after = { at: Number(cursor.cursor_at), id: cursor.cursor_id as string };
  const rows = ctx
    .sql(shadowRows.scanRunsSql)
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
    for (const runId of runIds)
      queued += ctx.sql(shadowRows.queueRunSql).run(shadowId, runId, now).changes;
    ctx.sql(shadowRows.advanceCursorSql).run(...shadowRows.advanceCursorParams(shadowId, to));
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
    const row = ctx.sql(shadowRows.nextClaimSql).get(now, now - 60_000) as Row | undefined;
    if (!row) return undefined;
    ctx.sql(shadowRows.claimRunSql).run(nodeId, now + leaseMs, row.shadow_id, row.run_id);
    return shadowRows.claimFromRow(row);
  });
}

export function finishShadowRun(
  ctx: SqliteContext,
  comparison: ShadowComparison,
  nodeId: string,
): boolean {
  return ctx.write(() => {
    if (
      ctx.sql(shadowRows.finishRunSql).run(...shadowRows.finishRunParams(comparison, nodeId))
        .changes === 0
    )
      return false;
    for (const s of comparison.steps)
      ctx.sql(shadowRows.insertStepSql).run(...shadowRows.stepParams(comparison, s));
    return true;
  });
}

export function releaseShadowRun(
  ctx: SqliteContext,
  shadowId: string,
  runId: string,
  nodeId: string,
): void {
  ctx.write(() => ctx.sql(shadowRows.releaseRunSql).run(shadowId, runId, nodeId));
}

export function shadowTally(ctx: SqliteContext, shadowId: string): ShadowTally {
  return shadowRows.tallyOf(
    ctx.sql(shadowRows.tallyRunsSql).all(shadowId) as Row[],
    ctx.sql(shadowRows.tallyClassesSql).all(shadowId) as Row[],
    ctx.sql(shadowRows.tallyStepsSql).all(shadowId) as Row[],
    ctx.sql(shadowRows.sampleStepsSql).all(shadowId, shadowRows.sampleLimit) as Row[],
    ctx.sql(shadowRows.versionsSql).all(shadowId) as Row[],
  );
}
