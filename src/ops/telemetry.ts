import { InvalidInputError } from "../core/errors/definition-errors.js";
import { percentileMs } from "../core/latency-histogram.js";
import { AuditAction } from "../store/audit.js";
import type { Store } from "../store/store.js";
import { minuteOf } from "../store/telemetry.js";
import {
  rangeJson,
  readSummed,
  resolveRange,
  roundMs,
  type RangeJson,
  type TelemetryRange,
} from "./telemetry-range.js";

/**
 * Telemetry reports over a time range, from the per-minute rollups every node adds to. Each
 * returns its stable JSON document (snake_case, ISO times, docs/cli.md): the CLI prints it as-is
 * under --format json and the HTTP API returns it unchanged. Throughput is in
 * telemetry-throughput.ts.
 */
export { telemetryThroughput } from "./telemetry-throughput.js";
export type { TelemetryRange } from "./telemetry-range.js";

export interface LatencyJson extends RangeJson {
  /** per pipeline and step, over succeeded step attempts; times from the merged histogram */
  steps: {
    pipeline: string;
    step: string;
    count: number;
    avg_ms: number;
    p50_ms: number;
    p95_ms: number;
    p99_ms: number;
    max_ms: number;
  }[];
}

export async function telemetryLatency(
  store: Store,
  options: TelemetryRange,
): Promise<LatencyJson> {
  const range = resolveRange(options);
  const rows = await readSummed(store, range, ["latency"], () => 0);
  const steps = rows
    .filter((r) => r.count > 0)
    .map((r) => {
      const max = r.max ?? 0;
      const p = (q: number): number => roundMs(percentileMs(r.histogram ?? {}, q, max) ?? 0);
      return {
        pipeline: r.pipeline,
        step: r.step,
        count: r.count,
        avg_ms: roundMs(r.total / r.count),
        p50_ms: p(0.5),
        p95_ms: p(0.95),
        p99_ms: p(0.99),
        max_ms: roundMs(max),
      };
    })
    .sort((a, b) => a.pipeline.localeCompare(b.pipeline) || a.step.localeCompare(b.step));
  return { ...rangeJson(range), steps };
}

export interface FailuresJson extends RangeJson {
  /** failed step attempts (retried or not), most first */
  failures: { pipeline: string; step: string; code: string; count: number }[];
  /** runs quarantined, by reason, most first */
  quarantines: { pipeline: string; reason: string; count: number }[];
}

export async function telemetryFailures(
  store: Store,
  options: TelemetryRange,
): Promise<FailuresJson> {
  const range = resolveRange(options);
  const rows = await readSummed(store, range, ["failure", "quarantine"], () => 0);
  const byCount = <T extends { count: number }>(list: T[], key: (t: T) => string): T[] =>
    list.sort((a, b) => b.count - a.count || key(a).localeCompare(key(b)));
  return {
    ...rangeJson(range),
    failures: byCount(
      rows
        .filter((r) => r.kind === "failure")
        .map((r) => ({ pipeline: r.pipeline, step: r.step, code: r.label, count: r.count })),
      (f) => `${f.pipeline}\u0000${f.step}\u0000${f.code}`,
    ),
    quarantines: byCount(
      rows
        .filter((r) => r.kind === "quarantine")
        .map((r) => ({ pipeline: r.pipeline, reason: r.label, count: r.count })),
      (q) => `${q.pipeline}\u0000${q.reason}`,
    ),
  };
}

export interface TelemetryCleanJson {
  dry_run: boolean;
  older_than_days: number;
  /** rows of minutes that started before this time were deleted (or would be) */
  before: string;
  rows: number;
  minutes: number;
}

const dayMs = 86_400_000;

/** Deletes rollups older than N days; audited (`telemetry.clean`) unless a dry run. */
export async function cleanTelemetry(
  store: Store,
  options: { olderThanDays: number; dryRun: boolean; actor: string; now?: number },
): Promise<TelemetryCleanJson> {
  const days = options.olderThanDays;
  if (!Number.isInteger(days) || days < 1 || days > 36_500)
    throw new InvalidInputError(
      `older_than_days must be a whole number from 1 to 36500, got ${String(days)}`,
      { field: "older_than_days" },
    );
  const now = options.now ?? Date.now();
  const before = minuteOf(now - days * dayMs);
  const result = await store.deleteTelemetryBefore(before, {
    dryRun: options.dryRun,
    audit: {
      action: AuditAction.telemetryClean,
      actor: options.actor,
      now,
      details: { older_than_days: days },
    },
  });
  return {
    dry_run: result.dryRun,
    older_than_days: days,
    before: new Date(before).toISOString(),
    rows: result.rows,
    minutes: result.minutes,
  };
}
