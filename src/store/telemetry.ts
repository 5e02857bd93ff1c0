import { InvalidInputError } from "../core/errors/definition-errors.js";
import type { LatencyHistogram } from "../core/latency-histogram.js";
import type { AuditNote, NewAuditEntry } from "./audit.js";
import { json, type Row } from "./rows.js";

/**
 * Telemetry rollups, in domain words: counters per minute and pipeline (and step) that every node
 * of a store adds to. A row is keyed by (minute, pipeline, step, kind, label); adding to a key
 * that exists adds the counts and totals, keeps the larger max and merges the histograms, so nodes
 * never overwrite each other and any range can be summed afterwards.
 */
export const TelemetryKind = {
  /** a run ended: label = its status (succeeded, quarantined, cancelled) */
  run: "run",
  /** a step attempt failed: step, label = the error code */
  failure: "failure",
  /** a run was quarantined: label = the quarantine reason */
  quarantine: "quarantine",
  /** a step attempt succeeded: step; total = the sum of ms, max = the slowest, histogram */
  latency: "latency",
  /** bytes: label `processed` (ctx.progress) or `source` (files a watch source made runs of); total = bytes */
  bytes: "bytes",
  /** time runs of the pipeline were in flight on a node (summed over nodes); total = ms */
  active: "active",
  /**
   * an approval gate was decided: step = the gate, label = approved, rejected or timed_out;
   * total = the ms runs waited for it, max = the longest wait
   */
  gate: "gate",
} as const;
export type TelemetryKind = (typeof TelemetryKind)[keyof typeof TelemetryKind];

export const telemetryKinds: readonly TelemetryKind[] = Object.values(TelemetryKind);

export const minuteMs = 60_000;

/** The start of the minute holding `at` (epoch ms). */
export function minuteOf(at: number): number {
  return Math.floor(at / minuteMs) * minuteMs;
}

export interface TelemetryIncrement {
  /** epoch ms of the minute's start: a multiple of 60 000 */
  minute: number;
  pipeline: string;
  /** the step, or "" for what belongs to the whole run */
  step: string;
  kind: TelemetryKind;
  /** what is counted within the kind: a status, an error code, a reason; "" for none */
  label: string;
  count: number;
  /** latency: the sum of ms; bytes: the bytes; 0 otherwise */
  total: number;
  /** latency: the slowest, ms; null otherwise */
  max: number | null;
  /** latency only: bucket -> count (layout in core/latency-histogram.ts) */
  histogram: LatencyHistogram | null;
}

/** One event: count 1 and nothing else, unless `fields` says otherwise; step and label default "". */
export function telemetryIncrement(
  fields: Pick<TelemetryIncrement, "minute" | "pipeline" | "kind"> & Partial<TelemetryIncrement>,
): TelemetryIncrement {
  return { step: "", label: "", count: 1, total: 0, max: null, histogram: null, ...fields };
}

/** A stored row: the sum of every increment added to its key. */
export type TelemetryRecord = TelemetryIncrement;

export interface TelemetryQuery {
  /** epoch ms: rows of minutes that start at or after it (a mid-minute time reads that minute too) */
  since: number;
  /** epoch ms: rows of minutes that start before it; default: no end */
  until?: number;
  pipeline?: string;
  /** only these kinds; default all */
  kinds?: readonly TelemetryKind[];
}

export interface TelemetryDeleteOptions {
  /** count what would go, delete nothing */
  dryRun?: boolean;
  /** an operator's clean: its audit entry is written in the same transaction (retention has none) */
  audit?: AuditNote & { actor: string; now: number };
}

export interface TelemetryDeleteResult {
  /** rows deleted (or, on a dry run, that would be) */
  rows: number;
  /** distinct minutes among them */
  minutes: number;
  dryRun: boolean;
}

/** Row -> record, for both backends (numbers may arrive as strings, JSON as text). */
export function telemetryFromRow(row: Row): TelemetryRecord {
  const histogram =
    row.histogram === null || row.histogram === undefined
      ? null
      : json<Record<string, number | string>>(row.histogram);
  return {
    minute: Number(row.minute),
    pipeline: row.pipeline as string,
    step: row.step as string,
    kind: row.kind as TelemetryKind,
    label: row.label as string,
    count: Number(row.count),
    total: Number(row.total),
    max: row.max_ms === null || row.max_ms === undefined ? null : Number(row.max_ms),
    histogram: histogram
      ? Object.fromEntries(Object.entries(histogram).map(([b, n]) => [Number(b), Number(n)]))
      : null,
  };
}

/** Bad increments are refused whole, before anything is written. */
export function checkTelemetryIncrement(inc: TelemetryIncrement): void {
  const bad = (field: string, why: string): never => {
    throw new InvalidInputError(`telemetry increment: ${field} ${why}`, { field });
  };
  if (!Number.isInteger(inc.minute) || inc.minute % minuteMs !== 0)
    bad("minute", "must be the epoch ms of a minute's start");
  if (!telemetryKinds.includes(inc.kind))
    bad("kind", `must be one of ${telemetryKinds.join(", ")}`);
  if (!Number.isInteger(inc.count) || inc.count < 0) bad("count", "must be a whole number >= 0");
  if (!Number.isFinite(inc.total)) bad("total", "must be a finite number");
}

/*
 * What both backends' telemetry writes and reads share (sqlite/telemetry.ts, postgres/telemetry.ts):
 * each keeps only its own upsert (the histogram merge is spelled in each dialect's JSON functions).
 */

/** an increment as the upsert's parameters: key columns, then count, total, max and histogram */
export function telemetryUpsertParams(inc: TelemetryIncrement): unknown[] {
  return [
    inc.minute,
    inc.pipeline,
    inc.step,
    inc.kind,
    inc.label,
    inc.count,
    inc.total,
    inc.max,
    inc.histogram === null ? null : JSON.stringify(inc.histogram),
  ];
}

/**
 * The WHERE of a telemetry read and its parameters; `kindIn` is the backend's test of `kind`
 * against a list passed as one parameter, and `kindsParam` that parameter.
 */
export function telemetryFilter(
  query: TelemetryQuery,
  kindIn: string,
  kindsParam: (kinds: readonly TelemetryKind[]) => unknown,
): { where: string; params: unknown[] } {
  const where = ["minute >= ?"];
  const params: unknown[] = [Math.floor(query.since / minuteMs) * minuteMs];
  if (query.until !== undefined) (where.push("minute < ?"), params.push(query.until));
  if (query.pipeline !== undefined) (where.push("pipeline = ?"), params.push(query.pipeline));
  if (query.kinds !== undefined) (where.push(kindIn), params.push(kindsParam(query.kinds)));
  return { where: where.join(" AND "), params };
}

export const telemetryOrder = "ORDER BY minute, pipeline, step, kind, label";

export function checkTelemetryBefore(before: number): void {
  if (!Number.isFinite(before))
    throw new InvalidInputError("telemetry: before must be an epoch ms time", { field: "before" });
}

export const countTelemetryBeforeSql =
  "SELECT count(*) AS n, count(DISTINCT minute) AS m FROM telemetry WHERE minute < ?";

/** an operator's clean: its audit entry (none for retention's) */
export function telemetryDeleteAudit(
  options: TelemetryDeleteOptions,
  before: number,
  result: TelemetryDeleteResult,
): NewAuditEntry | null {
  const note = options.audit;
  if (!note) return null;
  return {
    at: note.now,
    actor: note.actor,
    action: note.action,
    target: "telemetry",
    reason: null,
    details: { ...note.details, before, rows: result.rows, minutes: result.minutes },
  };
}
