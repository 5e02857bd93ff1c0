import type { FieldDiff } from "../core/determinism/json-diff.js";
import type { NewAuditEntry } from "./audit.js";
import type { OperatorChange } from "./operator-change.js";
import { json, num, numOrNull, type Row } from "./rows.js";

/**
 * Shadow runs: a new version of a pipeline compared, step by step, with the primary's succeeded
 * runs. What both backends write is spelled here once: the shadow's definition, its queue of
 * sampled runs (the claim that makes each run compared once across the cluster) and each step's
 * verdict. A backend folder keeps only its transactions and its locking.
 */
export interface ShadowStep {
  step: string;
  after: string[];
}

export interface ShadowRecord {
  id: string;
  pipeline: string;
  /** the module as the operator gave it */
  module: string;
  /** the absolute path the sandbox imports */
  moduleResolved: string;
  /** the shadow pipeline's version when it started */
  version: string;
  steps: ShadowStep[];
  /** 0..1: the share of the primary's succeeded runs compared */
  sampleRate: number;
  maxPerMinute: number | null;
  createdAt: number;
  createdBy: string;
  stoppedAt: number | null;
  stoppedBy: string | null;
}

/** where a scan of the primary's succeeded runs starts: after (finished_at, id) */
export interface ShadowCursor {
  at: number;
  id: string;
}

export interface ShadowClaim {
  shadowId: string;
  runId: string;
  attempts: number;
}

export interface ShadowStepVerdict {
  step: string;
  status: "same" | "mismatch" | "not_checkpointed";
  class: string | null;
  fields: FieldDiff[];
  calls: string[];
  note: string | null;
}

/** one sampled run compared (or failed to compare: the sandbox could not run) */
export interface ShadowComparison {
  shadowId: string;
  runId: string;
  at: number;
  version: string | null;
  error: string | null;
  steps: ShadowStepVerdict[];
}

/** counts behind `keel shadow report`: runs by status, steps by (step, status, class) */
export interface ShadowTally {
  /** `same` for a compared run: 1 every step the same, 0 a mismatch; null when not compared */
  runs: { status: string; same: number | null; runs: number }[];
  /** compared runs with a mismatch of each class (a run may count under several) */
  classes: { class: string; runs: number }[];
  steps: { step: string; status: string; class: string | null; runs: number }[];
  /** the newest mismatches, for their run ids and field paths */
  samples: { step: string; class: string | null; runId: string; fields: FieldDiff[] }[];
  /** the versions the compared runs were replayed with */
  versions: string[];
}

export function shadowFromRow(row: Row): ShadowRecord {
  return {
    id: row.id as string,
    pipeline: row.pipeline as string,
    module: row.module as string,
    moduleResolved: row.module_resolved as string,
    version: row.version as string,
    steps: json<ShadowStep[]>(row.steps),
    sampleRate: num(row.sample_rate),
    maxPerMinute: numOrNull(row.max_per_minute),
    createdAt: num(row.created_at),
    createdBy: row.created_by as string,
    stoppedAt: numOrNull(row.stopped_at),
    stoppedBy: (row.stopped_by as string | null) ?? null,
  };
}

export const insertShadowSql = `INSERT INTO shadows (id, pipeline, module, module_resolved, version, steps,
  sample_rate, max_per_minute, created_at, created_by, cursor_at, cursor_id)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '')`;

export function shadowParams(s: ShadowRecord): unknown[] {
  return [
    s.id,
    s.pipeline,
    s.module,
    s.moduleResolved,
    s.version,
    JSON.stringify(s.steps),
    s.sampleRate,
    s.maxPerMinute,
    s.createdAt,
    s.createdBy,
    // runs that ended before the shadow started are not its to compare
    s.createdAt,
  ];
}

export const activeShadowSql = "SELECT * FROM shadows WHERE pipeline = ? AND stopped_at IS NULL";
export const listShadowsSql = "SELECT * FROM shadows ORDER BY created_at DESC, id DESC";
export const getShadowSql = "SELECT * FROM shadows WHERE id = ?";
export const stopShadowSql =
  "UPDATE shadows SET stopped_at = ?, stopped_by = ? WHERE id = ? AND stopped_at IS NULL";
export const cursorSql = "SELECT cursor_at, cursor_id FROM shadows WHERE id = ?";

/** the primary's succeeded runs after the cursor, oldest first (off the runs_ended index) */
export const scanRunsSql = `SELECT id, finished_at FROM runs
  WHERE status = 'succeeded' AND pipeline = ? AND finished_at <= ?
    AND (finished_at > ? OR (finished_at = ? AND id > ?))
  ORDER BY finished_at, id LIMIT ?`;

export const queueRunSql = `INSERT INTO shadow_runs (shadow_id, run_id, status, queued_at)
  VALUES (?, ?, 'queued', ?) ON CONFLICT DO NOTHING`;

/** the cursor only moves forward: two nodes scanning at once both leave it at the furthest */
export const advanceCursorSql = `UPDATE shadows SET cursor_at = ?, cursor_id = ?
  WHERE id = ? AND (cursor_at < ? OR (cursor_at = ? AND cursor_id < ?))`;

export function advanceCursorParams(shadowId: string, to: ShadowCursor): unknown[] {
  return [to.at, to.id, shadowId, to.at, to.at, to.id];
}

/**
 * The next run to compare: queued, or held by a node whose lease ran out, of an active shadow
 * that is under its max_per_minute. Oldest first. `?` 1: now (lease), 2: a minute ago.
 */
export const nextClaimSql = `SELECT r.shadow_id, r.run_id, r.attempts FROM shadow_runs r
  JOIN shadows s ON s.id = r.shadow_id AND s.stopped_at IS NULL
  WHERE (r.status = 'queued' OR (r.status = 'running' AND r.lease_expires_at < ?))
    AND (s.max_per_minute IS NULL OR (SELECT count(*) FROM shadow_runs c
      WHERE c.shadow_id = s.id AND c.compared_at > ?) < s.max_per_minute)
  ORDER BY r.queued_at, r.run_id LIMIT 1`;

export const claimRunSql = `UPDATE shadow_runs SET status = 'running', claimed_by = ?,
  lease_expires_at = ?, attempts = attempts + 1 WHERE shadow_id = ? AND run_id = ?`;

export function claimFromRow(row: Row): ShadowClaim {
  return {
    shadowId: row.shadow_id as string,
    runId: row.run_id as string,
    attempts: num(row.attempts) + 1,
  };
}

/** fenced: only the node holding the claim finishes it */
export const finishRunSql = `UPDATE shadow_runs SET status = ?, compared_at = ?, same = ?, version = ?,
  error = ?, claimed_by = NULL, lease_expires_at = NULL
  WHERE shadow_id = ? AND run_id = ? AND status = 'running' AND claimed_by = ?`;

export function finishRunParams(c: ShadowComparison, nodeId: string): unknown[] {
  const same = c.error === null ? (c.steps.every((s) => s.status !== "mismatch") ? 1 : 0) : null;
  return [
    c.error === null ? "compared" : "failed",
    c.at,
    same,
    c.version,
    c.error,
    c.shadowId,
    c.runId,
    nodeId,
  ];
}

export const insertStepSql = `INSERT INTO shadow_steps (shadow_id, run_id, step, status, class, fields, calls, note)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;

export function stepParams(c: ShadowComparison, s: ShadowStepVerdict): unknown[] {
  return [
    c.shadowId,
    c.runId,
    s.step,
    s.status,
    s.class,
    JSON.stringify(s.fields),
    JSON.stringify(s.calls),
    s.note,
  ];
}

export const releaseRunSql = `UPDATE shadow_runs SET status = 'queued', claimed_by = NULL,
  lease_expires_at = NULL WHERE shadow_id = ? AND run_id = ? AND status = 'running' AND claimed_by = ?`;

export const tallyRunsSql = `SELECT status, same, count(*) AS runs FROM shadow_runs
  WHERE shadow_id = ? GROUP BY status, same ORDER BY status, same`;
export const tallyClassesSql = `SELECT class, count(DISTINCT run_id) AS runs FROM shadow_steps
  WHERE shadow_id = ? AND status = 'mismatch' GROUP BY class ORDER BY class`;
export const tallyStepsSql = `SELECT step, status, class, count(*) AS runs FROM shadow_steps
  WHERE shadow_id = ? GROUP BY step, status, class ORDER BY step, status, class`;
export const sampleStepsSql = `SELECT t.step, t.class, t.run_id, t.fields FROM shadow_steps t
  JOIN shadow_runs r ON r.shadow_id = t.shadow_id AND r.run_id = t.run_id
  WHERE t.shadow_id = ? AND t.status = 'mismatch'
  ORDER BY r.compared_at DESC, t.run_id, t.step LIMIT ?`;
export const versionsSql = `SELECT DISTINCT version FROM shadow_runs
  WHERE shadow_id = ? AND version IS NOT NULL ORDER BY version`;
export const sampleLimit = 200;

export function tallyOf(
  runs: Row[],
  classes: Row[],
  steps: Row[],
  samples: Row[],
  versions: Row[],
): ShadowTally {
  return {
    runs: runs.map((r) => ({
      status: r.status as string,
      same: numOrNull(r.same),
      runs: num(r.runs),
    })),
    classes: classes.map((r) => ({ class: r.class as string, runs: num(r.runs) })),
    steps: steps.map((r) => ({
      step: r.step as string,
      status: r.status as string,
      class: (r.class as string | null) ?? null,
      runs: num(r.runs),
    })),
    samples: samples.map((r) => ({
      step: r.step as string,
      class: (r.class as string | null) ?? null,
      runId: r.run_id as string,
      fields: json<FieldDiff[]>(r.fields),
    })),
    versions: versions.map((r) => r.version as string),
  };
}

export function shadowAudit(
  s: ShadowRecord,
  change: OperatorChange,
  action: "start" | "stop",
): NewAuditEntry | undefined {
  if (!change.audit) return undefined;
  return {
    at: change.at,
    actor: change.actor,
    action: change.audit.action,
    target: s.pipeline,
    reason: change.reason ?? null,
    details: {
      shadow: s.id,
      module: s.module,
      version: s.version,
      sample_rate: s.sampleRate,
      ...(action === "start" ? { max_per_minute: s.maxPerMinute } : {}),
      ...change.audit.details,
    },
  };
}
