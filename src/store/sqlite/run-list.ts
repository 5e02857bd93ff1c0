import type { Row } from "../rows.js";
import { errorMessageChars } from "../run-summary.js";
import { runListFilter, RunPageBuilder, summaryColumnsSql } from "../run-page.js";
import type { RunPage, RunQuery } from "../store.js";
import type { SqliteContext } from "./context.js";

/**
 * A page of runs as summaries (store/run-summary.ts): the big values are left out by the query
 * itself, so a list never loads them into the node, and the page ends early once the values it
 * carries pass the byte budget. octet_length reads a value's size from its record header.
 */
const columns = summaryColumnsSql(`json_object('code', json_extract(error, '$.code'),
    'message', substr(json_extract(error, '$.message'), 1, ${errorMessageChars}), 'step', json_extract(error, '$.step'))`);

export function listRuns(ctx: SqliteContext, query: RunQuery): RunPage {
  const { where, params } = runListFilter(query);
  // without statistics SQLite prefers runs_pipeline for status + pipeline, and then walks every
  // run of the pipeline with another status (85 ms over a million runs); the status index walks
  // only the runs of that status, newest first (2 ms)
  const index = query.quarantineReason
    ? "INDEXED BY runs_quarantine"
    : query.status
      ? "INDEXED BY runs_status"
      : "";
  const sql = `SELECT ${columns} FROM runs ${index} ${where ? `WHERE ${where}` : ""} ORDER BY id DESC LIMIT ?`;
  const page = new RunPageBuilder(query.limit);
  // iterate: rows past the budget are never read
  for (const row of ctx.sql(sql).iterate(...params, query.limit + 1) as IterableIterator<Row>)
    if (!page.add(row)) break;
  return page.page();
}
