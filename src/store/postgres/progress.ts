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
import type { PgConn } from "./context.js";

/** Step progress: one row per run and step, replaced by each report (progress.ts). */
export async function reportProgress(c: PgConn, progress: StepProgress): Promise<void> {
  checkProgress(progress);
  await c.run(upsertProgressSql, progressParams(progress));
}

export async function listProgress(c: PgConn, runId: string): Promise<StepProgress[]> {
  return (await c.all(listProgressSql, [runId])).map(progressFromRow);
}

export async function progressSince(c: PgConn, query: ProgressQuery): Promise<StepProgress[]> {
  const { sql, params } = progressSinceSql(query);
  return (await c.all(sql, params)).map(progressFromRow);
}
