import { maxTimeMs, minTimeMs, timeRangeText } from "../core/duration.js";
import { InvalidInputError } from "../core/errors/definition-errors.js";
import { TelemetryRollup } from "../engine/telemetry-rollup.js";
import type { Store } from "../store/store.js";
import { minuteOf, type TelemetryKind, type TelemetryRecord } from "../store/telemetry.js";

/**
 * The time range of a telemetry report and the reading of it: the store's per-minute rows of the
 * range, summed under a key the report chooses (a time bucket, or the whole range).
 */
export interface TelemetryRange {
  /** epoch ms; default one hour before `now`. The minute holding it is read whole. */
  since?: number;
  /** epoch ms; default `now` */
  until?: number;
  /** only this pipeline */
  pipeline?: string;
  now?: number;
}

export interface ResolvedRange {
  /** the start of the minute holding `since` */
  from: number;
  until: number;
  /** until - since, as asked (before `since` was taken back to its minute) */
  spanMs: number;
  pipeline: string | null;
}

/** The fields every report starts with. */
export interface RangeJson {
  since: string;
  until: string;
  pipeline: string | null;
}

const defaultSpanMs = 3_600_000;

export function resolveRange(range: TelemetryRange): ResolvedRange {
  const now = range.now ?? Date.now();
  const until = range.until ?? now;
  const since = range.since ?? until - defaultSpanMs;
  for (const [field, value] of [
    ["since", since],
    ["until", until],
  ] as const)
    if (!Number.isFinite(value) || value < minTimeMs || value > maxTimeMs)
      throw new InvalidInputError(`${field} must be a time (epoch ms) ${timeRangeText}`, {
        field,
      });
  if (since >= until)
    throw new InvalidInputError(
      `since (${new Date(since).toISOString()}) must be before until (${new Date(until).toISOString()})`,
      { field: "since" },
    );
  return { from: minuteOf(since), until, spanMs: until - since, pipeline: range.pipeline ?? null };
}

export function rangeJson(range: ResolvedRange): RangeJson {
  return {
    since: new Date(range.from).toISOString(),
    until: new Date(range.until).toISOString(),
    pipeline: range.pipeline,
  };
}

/** The rows of `kinds` in the range, summed per (`bucketOf(minute)`, pipeline, step, kind, label). */
export async function readSummed(
  store: Store,
  range: ResolvedRange,
  kinds: readonly TelemetryKind[],
  bucketOf: (minute: number) => number,
): Promise<TelemetryRecord[]> {
  const rows = await store.readTelemetry({
    since: range.from,
    until: range.until,
    pipeline: range.pipeline ?? undefined,
    kinds,
  });
  const sums = new TelemetryRollup();
  for (const row of rows) sums.add({ ...row, minute: bucketOf(row.minute) });
  return sums.values();
}

/** Milliseconds to 3 decimals: enough below a microsecond, stable in JSON. */
export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
