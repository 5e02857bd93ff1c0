import { InvalidInputError } from "../core/errors/definition-errors.js";
import type { Row } from "./rows.js";

/** What both backends share for step progress: the record, its checks, its SQL and its rows. */
export interface StepProgress {
  runId: string;
  step: string;
  attempt: number;
  /** units done so far, in the step's own units; null when it reported only a message */
  done: number | null;
  total: number | null;
  message: string | null;
  /** epoch ms of the report */
  updatedAt: number;
}

export interface ProgressQuery {
  since: number;
  runId?: string;
  limit: number;
}

/** a message is a status line, not a log: longer ones are cut */
export const progressMessageMax = 500;

export function checkProgress(p: StepProgress): void {
  for (const [field, value] of [
    ["done", p.done],
    ["total", p.total],
  ] as const)
    if (value !== null && (!Number.isFinite(value) || value < 0))
      throw new InvalidInputError(`progress ${field} must be a finite number >= 0 or null`, {
        field,
      });
  if (p.message !== null && p.message.length > progressMessageMax)
    throw new InvalidInputError(`progress message longer than ${progressMessageMax} characters`, {
      field: "message",
    });
}

export const upsertProgressSql = `INSERT INTO step_progress (run_id, step, attempt, done, total, message, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (run_id, step) DO UPDATE SET attempt = excluded.attempt, done = excluded.done,
  total = excluded.total, message = excluded.message, updated_at = excluded.updated_at`;

export function progressParams(p: StepProgress): unknown[] {
  return [p.runId, p.step, p.attempt, p.done, p.total, p.message, p.updatedAt];
}

export const listProgressSql = "SELECT * FROM step_progress WHERE run_id = ? ORDER BY step";

export function progressSinceSql(query: ProgressQuery): { sql: string; params: unknown[] } {
  const run = query.runId === undefined ? "" : " AND run_id = ?";
  return {
    sql: `SELECT * FROM step_progress WHERE updated_at >= ?${run} ORDER BY updated_at, run_id, step LIMIT ?`,
    params: [query.since, ...(query.runId === undefined ? [] : [query.runId]), query.limit],
  };
}

export function progressFromRow(row: Row): StepProgress {
  const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    runId: row.run_id as string,
    step: row.step as string,
    attempt: Number(row.attempt),
    done: n(row.done),
    total: n(row.total),
    message: (row.message as string | null) ?? null,
    updatedAt: Number(row.updated_at),
  };
}
