import { runIdFloor, type Row } from "../rows.js";
import {
  errorMessageChars,
  pageBudgetBytes,
  summaryFromRow,
  summaryOverheadBytes,
  summaryValueBytes,
  type RunSummary,
} from "../run-summary.js";
import type { RunPage, RunQuery } from "../store.js";
import type { SqliteContext } from "./context.js";

/**
 * A page of runs as summaries (store/run-summary.ts): the big values are left out by the query
 * itself, so a list never loads them into the node, and the page ends early once the values it
 * carries pass the byte budget. octet_length reads a value's size from its record header.
 */
const value = (c: string) =>
  `CASE WHEN octet_length(${c}) > ${summaryValueBytes} THEN NULL ELSE ${c} END AS ${c}, octet_length(${c}) AS ${c}_bytes`;
// a big error keeps what an operator scans a list for (code, step, the start of the message); the
// stack and the rest are left out
const error = `CASE WHEN octet_length(error) <= ${summaryValueBytes} THEN error
  WHEN json_valid(error) THEN json_object('code', json_extract(error, '$.code'),
    'message', substr(json_extract(error, '$.message'), 1, ${errorMessageChars}), 'step', json_extract(error, '$.step'))
  END AS error, octet_length(error) AS error_bytes`;

const columns = `id, pipeline, pipeline_version, status, quarantine_reason, priority, idempotency_key,
  source, trace_id, seed, attempts, step_attempts, scheduled_for, created_at, updated_at, started_at,
  finished_at, node_id, lease_epoch, lease_expires_at, ${value("input")}, ${value("output")}, ${error}`;

export function listRuns(ctx: SqliteContext, query: RunQuery): RunPage {
  const where: string[] = [];
  const params: unknown[] = [];
  if (query.status) (where.push("status = ?"), params.push(query.status));
  if (query.pipeline) (where.push("pipeline = ?"), params.push(query.pipeline));
  if (query.quarantineReason)
    // a reason is only set on quarantined runs; the literal lets SQLite use the partial index
    (where.push("status = 'quarantined' AND quarantine_reason = ?"),
      params.push(query.quarantineReason));
  if (query.since !== undefined) (where.push("id >= ?"), params.push(runIdFloor(query.since)));
  if (query.cursor) (where.push("id < ?"), params.push(query.cursor));
  // without statistics SQLite prefers runs_pipeline for status + pipeline, and then walks every
  // run of the pipeline with another status (85 ms over a million runs); the status index walks
  // only the runs of that status, newest first (2 ms)
  const index = query.quarantineReason
    ? "INDEXED BY runs_quarantine"
    : query.status
      ? "INDEXED BY runs_status"
      : "";
  const sql = `SELECT ${columns} FROM runs ${index} ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`;
  const runs: RunSummary[] = [];
  let bytes = 0;
  let more = false;
  // iterate: rows past the budget are never read
  for (const row of ctx.sql(sql).iterate(...params, query.limit + 1) as IterableIterator<Row>) {
    if (runs.length === query.limit || (runs.length > 0 && bytes >= pageBudgetBytes)) {
      more = true;
      break;
    }
    const run = summaryFromRow(row);
    bytes += summaryOverheadBytes + carried(row);
    runs.push(run);
  }
  return { runs, nextCursor: more ? (runs.at(-1)?.id ?? null) : null };
}

/** the size of the values a summary carries (characters: close enough to bytes for a budget) */
function carried(row: Row): number {
  let n = 0;
  for (const c of ["input", "output", "error"])
    n += typeof row[c] === "string" ? (row[c] as string).length : 0;
  return n;
}
