import {
  checkProgress,
  listProgressSql,
  progressFromRow,
  progressParams,
  progressSinceSql,
  upsertProgressSql,
  type ProgressQuery,
  type StepProgress,
} from "../progress.js";
import type { Row } from "../rows.js";
import type { SqliteContext } from "./context.js";

/** Step progress: one row per run and step, replaced by each report (progress.ts). */
export function reportProgress(ctx: SqliteContext, progress: StepProgress): void {
  checkProgress(progress);
  ctx.sql(upsertProgressSql).run(...progressParams(progress));
}

export function listProgress(ctx: SqliteContext, runId: string): StepProgress[] {
  return (ctx.sql(listProgressSql).all(runId) as Row[]).map(progressFromRow);
}

export function progressSince(ctx: SqliteContext, query: ProgressQuery): StepProgress[] {
  const { sql, params } = progressSinceSql(query);
  return (ctx.sql(sql).all(...params) as Row[]).map(progressFromRow);
}
