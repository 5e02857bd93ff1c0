import { NotFoundError } from "../../core/errors/definition-errors.js";
import { assertTransition, RunStatus, runStatuses } from "../../core/status.js";
import type { RunRecord, StepResultRecord, TransitionRecord } from "../records.js";
import { runFromRow, stepResultFromRow, transitionFromRow, type Row } from "../rows.js";
import {
  cancelRunSql,
  cancelledTransition,
  submitRunParams,
  submitRunSql,
  submittedTransition,
} from "../run-changes.js";
import { errorMessageChars } from "../run-summary.js";
import { runListFilter, RunPageBuilder, summaryColumnsSql } from "../run-page.js";
import type {
  NewRun,
  RunPage,
  RunQuery,
  SubmitResult,
  TransitionFeedQuery,
  WaitingCounts,
} from "../store.js";
import {
  gatedByPipelineSql,
  pendingByPipelineSql,
  quarantinedByReasonSql,
  waitingCounts,
} from "../waiting-counts.js";
import { insertTransition, type PgConn } from "./context.js";

const insertRunSql = submitRunSql(true);

/** Submitting, reading, listing and cancelling runs (the SQLite store's runs.ts, on PostgreSQL). */
export async function submitRuns(c: PgConn, runs: NewRun[]): Promise<SubmitResult[]> {
  const results: SubmitResult[] = [];
  for (const run of runs) results.push(await submitOne(c, run));
  return results;
}

async function submitOne(c: PgConn, run: NewRun): Promise<SubmitResult> {
  const row = await c.get(insertRunSql, submitRunParams(run, JSON.stringify(run.input)));
  if (row) {
    await insertTransition(c, submittedTransition(run));
    return { run: runFromRow(row), created: true };
  }
  // the conflicting insert has committed (ON CONFLICT waited for it): this statement sees it
  const existing = await c.get("SELECT * FROM runs WHERE pipeline = ? AND idempotency_key = ?", [
    run.pipeline,
    run.idempotencyKey,
  ]);
  if (!existing) throw new Error(`run ${run.id}: idempotency conflict without a run to return`);
  return { run: runFromRow(existing), created: false };
}

export async function getRun(c: PgConn, id: string, lock = false): Promise<RunRecord | undefined> {
  const row = await c.get(`SELECT * FROM runs WHERE id = ?${lock ? " FOR UPDATE" : ""}`, [id]);
  return row ? runFromRow(row) : undefined;
}

/**
 * A page of runs as summaries (store/run-summary.ts), as on SQLite: the big values are left out by
 * the query itself, and the page ends early once the values it carries pass the byte budget. The
 * rows come in chunks, each going on from the last id read, so rows past the budget are never
 * loaded.
 */
export async function listRuns(c: PgConn, query: RunQuery): Promise<RunPage> {
  const { where, params } = runListFilter(query);
  const page = new RunPageBuilder(query.limit);
  let wanted = query.limit + 1;
  let after: string | null = null;
  for (;;) {
    const filter: string[] = [where, after === null ? "" : "id < ?"].filter(Boolean);
    const chunk = Math.min(wanted, listChunkRows);
    const rows: Row[] = await c.all(
      `SELECT ${summaryColumns} FROM runs ${filter.length ? `WHERE ${filter.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`,
      [...params, ...(after === null ? [] : [after]), chunk],
    );
    for (const row of rows) if (!page.add(row)) return page.page();
    wanted -= rows.length;
    if (rows.length < chunk || wanted === 0) return page.page();
    after = rows.at(-1)?.id as string;
  }
}

/** rows a list query reads at a time: at most about 1.2 MB of values, a page's budget */
const listChunkRows = 100;

const summaryColumns = summaryColumnsSql(`json_build_object('code', error::json -> 'code',
    'message', substr(error::json ->> 'message', 1, ${errorMessageChars}), 'step', error::json -> 'step')::text`);

export async function countRunsByStatus(c: PgConn): Promise<Record<RunStatus, number>> {
  const counts = Object.fromEntries(runStatuses.map((s) => [s, 0])) as Record<RunStatus, number>;
  const rows = await c.all<{ status: RunStatus; n: number }>(
    "SELECT status, count(*) AS n FROM runs GROUP BY status",
  );
  for (const row of rows) counts[row.status] = row.n;
  return counts;
}

/** Read at every metrics scrape: both counts walk partial indexes of pending and quarantined runs. */
export async function countWaiting(c: PgConn): Promise<WaitingCounts> {
  return waitingCounts(
    await c.all<{ pipeline: string; runs: number }>(pendingByPipelineSql),
    await c.all<{ reason: string; runs: number }>(quarantinedByReasonSql),
    await c.all<{ pipeline: string; runs: number }>(gatedByPipelineSql),
  );
}

export async function listStepResults(c: PgConn, runId: string): Promise<StepResultRecord[]> {
  return (
    await c.all("SELECT * FROM step_results WHERE run_id = ? ORDER BY started_at, step", [runId])
  ).map(stepResultFromRow);
}

export async function listTransitions(c: PgConn, runId: string): Promise<TransitionRecord[]> {
  return (await c.all("SELECT * FROM transitions WHERE run_id = ? ORDER BY id", [runId])).map(
    transitionFromRow,
  );
}

export async function listTransitionsAfter(
  c: PgConn,
  query: TransitionFeedQuery,
): Promise<TransitionRecord[]> {
  const where = query.runId ? "run_id = ? AND id > ?" : "id > ?";
  const args = query.runId ? [query.runId, query.afterId] : [query.afterId];
  const rows = query.newest
    ? await c.all(
        `SELECT * FROM (SELECT * FROM transitions WHERE ${where} ORDER BY id DESC LIMIT ?) AS newest ORDER BY id`,
        [...args, query.limit],
      )
    : await c.all(`SELECT * FROM transitions WHERE ${where} ORDER BY id LIMIT ?`, [
        ...args,
        query.limit,
      ]);
  return rows.map(transitionFromRow);
}

export async function lastTransitionId(c: PgConn): Promise<number> {
  const row = await c.get<{ id: number | null }>("SELECT max(id) AS id FROM transitions");
  return row?.id ?? 0;
}

export async function nextDueAt(
  c: PgConn,
  pipelines: readonly string[],
  minPriority?: number,
): Promise<number | null> {
  const row = await c.get<{ at: number | null }>(
    "SELECT min(scheduled_for) AS at FROM runs WHERE status = 'pending' AND pipeline = ANY(?::text[]) AND priority >= ?",
    [pipelines, minPriority ?? lowestPriority],
  );
  return row?.at ?? null;
}

/** below every priority a run can have; priority is an integer column */
export const lowestPriority = -2_147_483_648;

export async function cancelRun(
  c: PgConn,
  runId: string,
  reason: string,
  actor: string,
  now: number,
): Promise<{ run: RunRecord; from: RunStatus }> {
  const run = await getRun(c, runId, true);
  if (!run) throw new NotFoundError("run", runId);
  assertTransition("run", run.status, RunStatus.cancelled, runId);
  const row = await c.get(cancelRunSql, [now, now, runId]);
  await insertTransition(c, cancelledTransition(run, reason, actor, now));
  return { run: runFromRow(row ?? {}), from: run.status };
}
