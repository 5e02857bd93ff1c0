import { terminalRunStatuses, type RunStatus } from "../../core/status.js";
import {
  IntegrityCode,
  problemsPerCode,
  rebuiltReason,
  type IntegrityProblem,
  type IntegrityReport,
  type StateDiff,
} from "../integrity.js";
import { insertTransition, type SqliteContext } from "./context.js";
import { unrenderableRuns } from "./unrenderable-runs.js";

/**
 * keel's own invariants, checked and repaired. The check only reads, so it runs on a read-only
 * connection beside a live node; every query is guarded, so a damaged file yields a report, not
 * an exception.
 */
interface SuspectRow {
  id: string;
  status: RunStatus;
  node_id: string | null;
  lease_expires_at: number | null;
  last_to: RunStatus | null;
}

// walks transitions_run (run_id, id) backwards: the last run transition is almost always the
// newest row of the run, so this costs one or two lookups per run
const suspectRunsSql = `SELECT * FROM (
  SELECT r.id, r.status, r.node_id, r.lease_expires_at,
    (SELECT t.to_status FROM transitions t WHERE t.run_id = r.id AND t.step IS NULL ORDER BY t.id DESC LIMIT 1) AS last_to
  FROM runs r)
 WHERE last_to IS NULL OR last_to <> status OR (status = 'running' AND (node_id IS NULL OR lease_expires_at IS NULL))
 ORDER BY id`;

function suspectRuns(ctx: SqliteContext): SuspectRow[] {
  return ctx.sql(suspectRunsSql).all() as SuspectRow[];
}

function diffOf(row: SuspectRow): StateDiff | null {
  if (row.last_to === null) return null;
  const unheld = row.node_id === null || row.lease_expires_at === null;
  const code =
    row.status === "running" && row.last_to === "running" && unheld
      ? IntegrityCode.runningWithoutLease
      : IntegrityCode.statusMismatch;
  // a run the transitions leave running has no lease anyone can trust: recovery's answer is pending
  const rebuilt = row.last_to === "running" ? "pending" : row.last_to;
  return { runId: row.id, stored: row.status, rebuilt, lastTransition: row.last_to, code };
}

export function findStateDiffs(ctx: SqliteContext): StateDiff[] {
  return suspectRuns(ctx)
    .map(diffOf)
    .filter((d): d is StateDiff => d !== null);
}

export function checkIntegrity(ctx: SqliteContext): IntegrityReport {
  const problems: IntegrityProblem[] = [];
  const counts: IntegrityReport["counts"] = {};
  const add = (code: IntegrityCode, message: string, runId: string | null = null): void => {
    counts[code] = (counts[code] ?? 0) + 1;
    if ((counts[code] ?? 0) <= problemsPerCode) problems.push({ code, message, runId });
  };
  const guarded = <T>(what: string, fallback: T, read: () => T): T => {
    try {
      return read();
    } catch (error) {
      add(IntegrityCode.storageCorrupt, `${what} failed: ${(error as Error).message}`);
      return fallback;
    }
  };
  guarded("integrity_check", undefined, () => {
    const rows = ctx.db.pragma(`integrity_check(${problemsPerCode})`) as {
      integrity_check: string;
    }[];
    for (const row of rows)
      if (row.integrity_check !== "ok") add(IntegrityCode.storageCorrupt, row.integrity_check);
  });
  const orphans = guarded("reading step_results", [], () => orphanStepResults(ctx));
  for (const o of orphans)
    add(
      IntegrityCode.orphanStepResult,
      `${o.n} checkpoint(s) of run ${o.run_id}, which does not exist`,
      o.run_id,
    );
  for (const row of guarded("reading runs and transitions", [], () => suspectRuns(ctx))) {
    const diff = diffOf(row);
    if (!diff)
      add(
        IntegrityCode.runWithoutTransitions,
        `run ${row.id} (${row.status}) has no run transition; its status cannot be rebuilt`,
        row.id,
      );
    else if (diff.code === IntegrityCode.runningWithoutLease)
      add(diff.code, `run ${row.id} is running but no node holds its lease`, row.id);
    else
      add(
        diff.code,
        `run ${row.id} is ${row.status} but its last transition says ${row.last_to}`,
        row.id,
      );
  }
  for (const row of guarded("reading runs' times and values", [], () => unrenderableRuns(ctx)))
    add(
      IntegrityCode.unrenderableRun,
      `run ${row.id} has ${row.what} that keel cannot show; listings mark it, \`keel jobs cancel ${row.id}\` or a purge removes it`,
      row.id,
    );
  const schemaVersion = guarded("reading schema_migrations", 0, () => {
    const row = ctx.sql("SELECT max(version) AS v FROM schema_migrations").get() as {
      v: number | null;
    };
    return row.v ?? 0;
  });
  const runs = guarded(
    "counting runs",
    0,
    () => (ctx.sql("SELECT count(*) AS n FROM runs").get() as { n: number }).n,
  );
  return { ok: problems.length === 0, problems, counts, schemaVersion, runs };
}

function orphanStepResults(ctx: SqliteContext): { run_id: string; n: number }[] {
  return ctx
    .sql(
      `SELECT s.run_id, count(*) AS n FROM step_results s
       WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = s.run_id) GROUP BY s.run_id ORDER BY s.run_id`,
    )
    .all() as { run_id: string; n: number }[];
}

/** Finds the diffs and writes them and their transitions in one transaction. */
export function rebuildStates(ctx: SqliteContext, actor: string, now: number): StateDiff[] {
  return ctx.write(() => {
    const diffs = findStateDiffs(ctx);
    for (const diff of diffs) applyDiff(ctx, diff, actor, now);
    return diffs;
  });
}

function applyDiff(ctx: SqliteContext, diff: StateDiff, actor: string, now: number): void {
  const last = ctx
    .sql(
      "SELECT reason, at FROM transitions WHERE run_id = ? AND step IS NULL ORDER BY id DESC LIMIT 1",
    )
    .get(diff.runId) as { reason: string; at: number };
  // no node holds the run afterwards: clear its lease and bump the epoch, so a stray write of an
  // old holder is rejected; terminal statuses get the finish time and reason the trail recorded
  const row = ctx
    .sql(
      `UPDATE runs SET status = ?, node_id = NULL, lease_expires_at = NULL, lease_epoch = lease_epoch + 1, updated_at = ?,
        finished_at = CASE WHEN ? THEN coalesce(finished_at, ?) ELSE finished_at END,
        quarantine_reason = CASE WHEN ? = 'quarantined' THEN coalesce(quarantine_reason, ?) ELSE quarantine_reason END
       WHERE id = ? AND status = ? RETURNING trace_id`,
    )
    .get(
      diff.rebuilt,
      now,
      terminalRunStatuses.has(diff.rebuilt) ? 1 : 0,
      last.at,
      diff.rebuilt,
      last.reason,
      diff.runId,
      diff.stored,
    ) as { trace_id: string };
  insertTransition(
    ctx,
    {
      runId: diff.runId,
      step: null,
      from: diff.stored,
      to: diff.rebuilt,
      reason: rebuiltReason,
      actor,
      at: now,
      traceId: row.trace_id,
      details: { code: diff.code, last_transition: diff.lastTransition },
    },
    "restore",
  );
}
