import { runIdFloor, type Row } from "./rows.js";
import type { RunPage, RunQuery } from "./run-store.js";
import {
  elidedFields,
  pageBudgetBytes,
  summaryFromRow,
  summaryOverheadBytes,
  summaryValueBytes,
  type RunSummary,
} from "./run-summary.js";

/*
 * A list page's query and its assembly, shared by both backends (sqlite/run-list.ts,
 * postgres/runs.ts): each brings only the SQL its dialect spells differently.
 */

/**
 * The columns of a list query, for both backends: input and output over `summaryValueBytes` come
 * back as null with their size; `bigError` is the backend's SQL for the short form of a big error
 * (code, step, the start of the message; the stack and the rest are left out).
 */
export function summaryColumnsSql(bigError: string): string {
  const value = (c: string) =>
    `CASE WHEN octet_length(${c}) > ${summaryValueBytes} THEN NULL ELSE ${c} END AS ${c}, octet_length(${c}) AS ${c}_bytes`;
  const error = `CASE WHEN octet_length(error) <= ${summaryValueBytes} THEN error
  WHEN json_valid(error) = 1 THEN ${bigError} END AS error, octet_length(error) AS error_bytes`;
  return `id, pipeline, pipeline_version, status, quarantine_reason, priority, idempotency_key,
  source, trace_id, trace_parent, seed, attempts, step_attempts, scheduled_for, created_at, updated_at, started_at,
  finished_at, node_id, lease_epoch, lease_expires_at, ${value("input")}, ${value("output")}, ${error}`;
}

/** The WHERE of a list query (without the word; empty for none) and its parameters. */
export function runListFilter(query: RunQuery): { where: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (query.status) (where.push("status = ?"), params.push(query.status));
  if (query.pipeline) (where.push("pipeline = ?"), params.push(query.pipeline));
  if (query.quarantineReason)
    // a reason is only set on quarantined runs; the literal lets the partial index serve it
    (where.push("status = 'quarantined' AND quarantine_reason = ?"),
      params.push(query.quarantineReason));
  if (query.requires)
    (where.push("requires = ?"), params.push(JSON.stringify([...new Set(query.requires)].sort())));
  if (query.pool !== undefined) (where.push("pool = ?"), params.push(query.pool));
  if (query.since !== undefined) (where.push("id >= ?"), params.push(runIdFloor(query.since)));
  if (query.cursor) (where.push("id < ?"), params.push(query.cursor));
  return { where: where.join(" AND "), params };
}

/**
 * A page built from the rows of a list query, newest first: it is full at the limit or, once the
 * values it carries pass `pageBudgetBytes`, early, and the cursor goes on from its last run.
 * `add` says whether the page wanted the row; the caller stops reading at the first refusal, so
 * rows past the end are never loaded.
 */
export class RunPageBuilder {
  private readonly runs: RunSummary[] = [];
  private bytes = 0;
  private more = false;

  constructor(private readonly limit: number) {}

  add(row: Row): boolean {
    if (
      this.runs.length === this.limit ||
      (this.runs.length > 0 && this.bytes >= pageBudgetBytes)
    ) {
      this.more = true;
      return false;
    }
    this.runs.push(summaryFromRow(row));
    this.bytes += summaryOverheadBytes + carried(row);
    return true;
  }

  page(): RunPage {
    const { runs, more } = this;
    return { runs, nextCursor: more ? (runs.at(-1)?.id ?? null) : null };
  }
}

/** the size of the values a summary carries (characters: close enough to bytes for a budget) */
function carried(row: Row): number {
  let n = 0;
  for (const c of elidedFields) n += typeof row[c] === "string" ? (row[c] as string).length : 0;
  return n;
}
