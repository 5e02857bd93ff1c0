import { maxTimeMs, minTimeMs } from "../core/duration.js";
import type { RunStatus } from "../core/status.js";
import {
  IntegrityCode,
  problemsPerCode,
  type IntegrityProblem,
  type IntegrityReport,
  type StateDiff,
} from "./integrity.js";

/**
 * The integrity check's queries and findings, shared by both backends (the SQL is plain enough
 * for SQLite and PostgreSQL alike): runs whose status their transitions contradict, and
 * checkpoints of runs that do not exist, runs a listing cannot show.
 */
export interface SuspectRow {
  id: string;
  status: RunStatus;
  node_id: string | null;
  lease_expires_at: number | null;
  last_to: RunStatus | null;
}

// walks transitions_run (run_id, id) backwards: the last run transition is almost always the
// newest row of the run, so this costs one or two lookups per run
export const suspectRunsSql = `SELECT * FROM (
  SELECT r.id, r.status, r.node_id, r.lease_expires_at,
    (SELECT t.to_status FROM transitions t WHERE t.run_id = r.id AND t.step IS NULL ORDER BY t.id DESC LIMIT 1) AS last_to
  FROM runs r) AS suspects
 WHERE last_to IS NULL OR last_to <> status OR (status = 'running' AND (node_id IS NULL OR lease_expires_at IS NULL))
 ORDER BY id`;

export const orphanStepResultsSql = `SELECT s.run_id, count(*) AS n FROM step_results s
  WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = s.run_id) GROUP BY s.run_id ORDER BY s.run_id`;

export const lastRunTransitionSql =
  "SELECT reason, at FROM transitions WHERE run_id = ? AND step IS NULL ORDER BY id DESC LIMIT 1";

/**
 * A run a listing can only show with a marker: a time outside the range inputs are held to
 * (1970..9999, see core/duration.ts) or an input, output or error that is not JSON. Each backend
 * finds them with its own SQL (sqlite/unrenderable-runs.ts, postgres/unrenderable-runs.ts).
 */
export interface UnrenderableRun {
  id: string;
  /** what is wrong, in words: "scheduled_for = 8.64e+22" */
  what: string;
}

const timeColumns = ["scheduled_for", "created_at", "updated_at", "started_at", "finished_at"];
const jsonColumns = ["input", "output", "error"];

/**
 * The runs a listing cannot show, at most one more than a check lists. Both backends have
 * json_valid (PostgreSQL's from its migration 002); `showTime` is the backend's SQL that prints a
 * time column's value as it is stored. On SQLite a text or blob in a time column compares above
 * every number, so NOT BETWEEN catches it too.
 */
export function unrenderableRunsSql(showTime: (column: string) => string): string {
  const badTime = (c: string) =>
    `(${c} IS NOT NULL AND ${c} NOT BETWEEN ${minTimeMs} AND ${maxTimeMs})`;
  const badJson = (c: string) => `(${c} IS NOT NULL AND json_valid(${c}) = 0)`;
  const flag = (bad: string, c: string) => `CASE WHEN ${bad} THEN 1 ELSE 0 END AS ${c}`;
  return `SELECT id, ${timeColumns.map((c) => flag(badTime(c), c)).join(", ")},
  ${jsonColumns.map((c) => flag(badJson(c), c)).join(", ")},
  ${timeColumns.map((c) => `${showTime(c)} AS ${c}_value`).join(", ")}
  FROM runs WHERE ${[...timeColumns.map(badTime), ...jsonColumns.map(badJson)].join(" OR ")}
  ORDER BY id LIMIT ${problemsPerCode + 1}`;
}

export function unrenderableFromRow(row: Record<string, unknown>): UnrenderableRun {
  return {
    id: row.id as string,
    what: [
      ...timeColumns
        .filter((c) => Number(row[c]) === 1)
        .map((c) => `${c} = ${String(row[`${c}_value`])}`),
      ...jsonColumns.filter((c) => Number(row[c]) === 1).map((c) => `an ${c} that is not JSON`),
    ].join(", "),
  };
}

export function diffOf(row: SuspectRow): StateDiff | null {
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

export function stateDiffs(rows: SuspectRow[]): StateDiff[] {
  return rows.map(diffOf).filter((d): d is StateDiff => d !== null);
}

/** The problems of a check, at most problemsPerCode listed of each code, every one counted. */
export class IntegrityTally {
  readonly problems: IntegrityProblem[] = [];
  readonly counts: IntegrityReport["counts"] = {};

  add(code: IntegrityCode, message: string, runId: string | null = null): void {
    this.counts[code] = (this.counts[code] ?? 0) + 1;
    if ((this.counts[code] ?? 0) <= problemsPerCode) this.problems.push({ code, message, runId });
  }

  orphans(rows: { run_id: string; n: number }[]): void {
    for (const o of rows)
      this.add(
        IntegrityCode.orphanStepResult,
        `${o.n} checkpoint(s) of run ${o.run_id}, which does not exist`,
        o.run_id,
      );
  }

  suspects(rows: SuspectRow[]): void {
    for (const row of rows) {
      const diff = diffOf(row);
      if (!diff)
        this.add(
          IntegrityCode.runWithoutTransitions,
          `run ${row.id} (${row.status}) has no run transition; its status cannot be rebuilt`,
          row.id,
        );
      else if (diff.code === IntegrityCode.runningWithoutLease)
        this.add(diff.code, `run ${row.id} is running but no node holds its lease`, row.id);
      else
        this.add(
          diff.code,
          `run ${row.id} is ${row.status} but its last transition says ${row.last_to}`,
          row.id,
        );
    }
  }

  unrenderable(rows: UnrenderableRun[]): void {
    for (const row of rows)
      this.add(
        IntegrityCode.unrenderableRun,
        `run ${row.id} has ${row.what} that keel cannot show; listings mark it, \`keel jobs cancel ${row.id}\` or a purge removes it`,
        row.id,
      );
  }

  report(schemaVersion: number, runs: number): IntegrityReport {
    const { problems, counts } = this;
    return { ok: problems.length === 0, problems, counts, schemaVersion, runs };
  }
}

/** A rebuilt run: no holder, a new epoch, and a terminal status with its trail's finish and reason. */
export const applyDiffSql = `UPDATE runs SET status = ?, node_id = NULL, lease_expires_at = NULL, lease_epoch = lease_epoch + 1, updated_at = ?,
  finished_at = CASE WHEN ? = 1 THEN coalesce(finished_at, ?) ELSE finished_at END,
  quarantine_reason = CASE WHEN ? = 'quarantined' THEN coalesce(quarantine_reason, ?) ELSE quarantine_reason END
 WHERE id = ? AND status = ? RETURNING trace_id`;
