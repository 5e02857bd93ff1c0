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
import type { NewRun, SubmitResult, TransitionFeedQuery, WaitingCounts } from "../store.js";
import {
  gatedByPipelineSql,
  pendingByPipelineSql,
  quarantinedByReasonSql,
  waitingCounts,
} from "../waiting-counts.js";
import { insertTransition, type SqliteContext } from "./context.js";

const insertRunSql = submitRunSql(false);

/** Submitting, reading, listing and cancelling runs. */
export function submitRuns(ctx: SqliteContext, runs: NewRun[]): SubmitResult[] {
  return ctx.write(() => runs.map((run) => submitOne(ctx, run)));
}

function submitOne(ctx: SqliteContext, run: NewRun): SubmitResult {
  // without RETURNING (it made SQLite's writes about twice as costly; see claims.ts): the record
  // is made here from what was inserted, with the columns' defaults
  const input = JSON.stringify(run.input);
  const { changes } = ctx.sql(insertRunSql).run(...submitRunParams(run, input));
  if (changes === 1) {
    insertTransition(ctx, submittedTransition(run));
    return { run: newRunRecord(run, input), created: true };
  }
  const existing = ctx
    .sql("SELECT * FROM runs WHERE pipeline = ? AND idempotency_key = ?")
    .get(run.pipeline, run.idempotencyKey) as Row;
  return { run: runFromRow(existing), created: false };
}

export function getRun(ctx: SqliteContext, id: string): RunRecord | undefined {
  const row = ctx.sql("SELECT * FROM runs WHERE id = ?").get(id) as Row | undefined;
  return row ? runFromRow(row) : undefined;
}

export function countRunsByStatus(ctx: SqliteContext): Record<RunStatus, number> {
  const counts = Object.fromEntries(runStatuses.map((s) => [s, 0])) as Record<RunStatus, number>;
  for (const row of ctx.sql("SELECT status, count(*) AS n FROM runs GROUP BY status").all() as {
    status: RunStatus;
    n: number;
  }[]) {
    counts[row.status] = row.n;
  }
  return counts;
}

/** Read at every metrics scrape: both counts walk partial indexes of pending and quarantined runs. */
export function countWaiting(ctx: SqliteContext): WaitingCounts {
  return waitingCounts(
    ctx.sql(pendingByPipelineSql).all() as { pipeline: string; runs: number }[],
    ctx.sql(quarantinedByReasonSql).all() as { reason: string; runs: number }[],
    ctx.sql(gatedByPipelineSql).all() as { pipeline: string; runs: number }[],
  );
}

export function listStepResults(ctx: SqliteContext, runId: string): StepResultRecord[] {
  return (
    ctx
      .sql("SELECT * FROM step_results WHERE run_id = ? ORDER BY started_at, step")
      .all(runId) as Row[]
  ).map(stepResultFromRow);
}

export function listTransitions(ctx: SqliteContext, runId: string): TransitionRecord[] {
  return (
    ctx.sql("SELECT * FROM transitions WHERE run_id = ? ORDER BY id").all(runId) as Row[]
  ).map(transitionFromRow);
}

export function listTransitionsAfter(
  ctx: SqliteContext,
  query: TransitionFeedQuery,
): TransitionRecord[] {
  const where = query.runId ? "run_id = ? AND id > ?" : "id > ?";
  const args = query.runId ? [query.runId, query.afterId] : [query.afterId];
  const rows = query.newest
    ? ctx
        .sql(
          `SELECT * FROM (SELECT * FROM transitions WHERE ${where} ORDER BY id DESC LIMIT ?) ORDER BY id`,
        )
        .all(...args, query.limit)
    : ctx
        .sql(`SELECT * FROM transitions WHERE ${where} ORDER BY id LIMIT ?`)
        .all(...args, query.limit);
  return (rows as Row[]).map(transitionFromRow);
}

export function lastTransitionId(ctx: SqliteContext): number {
  const row = ctx.sql("SELECT max(id) AS id FROM transitions").get() as { id: number | null };
  return row.id ?? 0;
}

export function nextDueAt(
  ctx: SqliteContext,
  pipelines: readonly string[],
  minPriority?: number,
): number | null {
  const row = ctx
    .sql(
      "SELECT min(scheduled_for) AS at FROM runs INDEXED BY runs_due WHERE status = 'pending' AND pipeline IN (SELECT value FROM json_each(?)) AND priority >= ?",
    )
    .get(JSON.stringify(pipelines), minPriority ?? lowestPriority) as { at: number | null };
  return row.at;
}

/** below every priority a run can have (submit allows -1000000 to 1000000) */
export const lowestPriority = Number.MIN_SAFE_INTEGER;

export function cancelRun(
  ctx: SqliteContext,
  runId: string,
  reason: string,
  actor: string,
  now: number,
): RunRecord {
  return ctx.write(() => {
    const run = getRun(ctx, runId);
    if (!run) throw new NotFoundError("run", runId);
    assertTransition("run", run.status, RunStatus.cancelled, runId);
    const row = ctx.sql(cancelRunSql).get(now, now, runId) as Row;
    insertTransition(ctx, cancelledTransition(run, reason, actor, now));
    return runFromRow(row);
  });
}

/** A run as submitRuns inserts it: pending, with the defaults of the runs table's other columns. */
function newRunRecord(run: NewRun, input: string): RunRecord {
  return {
    id: run.id,
    pipeline: run.pipeline,
    pipelineVersion: run.pipelineVersion,
    status: "pending",
    // parsed from the text stored, as a record read back from the store is
    input: JSON.parse(input) as RunRecord["input"],
    output: null,
    error: null,
    quarantineReason: null,
    priority: run.priority,
    idempotencyKey: run.idempotencyKey,
    source: run.source,
    traceId: run.traceId,
    ...(run.traceParent ? { traceParent: run.traceParent } : {}),
    seed: run.seed,
    attempts: 0,
    stepAttempts: {},
    scheduledFor: run.scheduledFor,
    createdAt: run.createdAt,
    updatedAt: run.createdAt,
    startedAt: null,
    finishedAt: null,
    nodeId: null,
    leaseEpoch: 0,
    leaseExpiresAt: null,
  };
}
