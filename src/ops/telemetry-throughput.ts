import { InvalidInputError } from "../core/errors/definition-errors.js";
import type { Store } from "../store/store.js";
import type { TelemetryRecord } from "../store/telemetry.js";
import {
  rangeJson,
  readSummed,
  resolveRange,
  type RangeJson,
  type TelemetryRange,
} from "./telemetry-range.js";

/**
 * Throughput: runs that ended (by status) and bytes, per time bucket and pipeline, with two rates:
 * the plain average, per second of the bucket's time inside the range (so the current, unfinished
 * minute is not diluted), and the rate while active, per second that runs of the pipeline were in
 * flight on a node (`active_s`): a 100 MB/s burst in an idle minute reads 100 MB/s there, not the
 * minute's average.
 */
export const telemetryBuckets = ["minute", "hour", "day"] as const;
export type TelemetryBucket = (typeof telemetryBuckets)[number];

const bucketMs: Record<TelemetryBucket, number> = {
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
};
/** ranges up to this long are shown by the minute, longer ones by the hour */
const minuteBucketsUpToMs = 3 * 3_600_000;

export interface ThroughputRow {
  pipeline: string;
  runs: { succeeded: number; quarantined: number; cancelled: number };
  /** all runs that ended: the sum of `runs` */
  finished: number;
  runs_per_s: number;
  /** reported by steps through ctx.progress */
  bytes: number;
  bytes_per_s: number;
  /** the size of the files watch sources made runs of */
  source_bytes: number;
  /** seconds runs of the pipeline were in flight on a node (summed over nodes) */
  active_s: number;
  /** runs and bytes per second of `active_s`; null when no time in flight was recorded */
  runs_per_s_while_active: number | null;
  bytes_per_s_while_active: number | null;
}

export interface ThroughputJson extends RangeJson {
  bucket: TelemetryBucket;
  /** one entry per bucket and pipeline with anything counted, oldest first; empty buckets left out */
  series: (ThroughputRow & { start: string })[];
  /** per pipeline over the whole range */
  totals: ThroughputRow[];
}

export async function telemetryThroughput(
  store: Store,
  options: TelemetryRange & { bucket?: TelemetryBucket },
): Promise<ThroughputJson> {
  const range = resolveRange(options);
  const bucket = options.bucket ?? (range.spanMs <= minuteBucketsUpToMs ? "minute" : "hour");
  if (!telemetryBuckets.includes(bucket))
    throw new InvalidInputError(
      `bucket must be one of ${telemetryBuckets.join(", ")}, got ${String(bucket)}`,
      { field: "bucket" },
    );
  const size = bucketMs[bucket];
  const rows = await readSummed(
    store,
    range,
    ["run", "bytes", "active"],
    (m) => Math.floor(m / size) * size,
  );
  const series = new Map<string, { start: number; row: ThroughputRow }>();
  const totals = new Map<string, ThroughputRow>();
  for (const r of rows) {
    const key = `${r.minute}\u0000${r.pipeline}`;
    let entry = series.get(key);
    if (!entry) series.set(key, (entry = { start: r.minute, row: emptyRow(r.pipeline) }));
    count(entry.row, r);
    let total = totals.get(r.pipeline);
    if (!total) totals.set(r.pipeline, (total = emptyRow(r.pipeline)));
    count(total, r);
  }
  const seconds = (start: number, end: number): number =>
    Math.max(1, (Math.min(end, range.until) - Math.max(start, range.from)) / 1000);
  return {
    ...rangeJson(range),
    bucket,
    series: [...series.values()]
      .sort((a, b) => a.start - b.start || a.row.pipeline.localeCompare(b.row.pipeline))
      .map(({ start, row }) => ({
        start: new Date(start).toISOString(),
        ...withRates(row, seconds(start, start + size)),
      })),
    totals: [...totals.values()]
      .sort((a, b) => a.pipeline.localeCompare(b.pipeline))
      .map((row) => withRates(row, seconds(range.from, range.until))),
  };
}

function emptyRow(pipeline: string): ThroughputRow {
  return {
    pipeline,
    runs: { succeeded: 0, quarantined: 0, cancelled: 0 },
    finished: 0,
    runs_per_s: 0,
    bytes: 0,
    bytes_per_s: 0,
    source_bytes: 0,
    active_s: 0,
    runs_per_s_while_active: null,
    bytes_per_s_while_active: null,
  };
}

function count(row: ThroughputRow, r: TelemetryRecord): void {
  if (r.kind === "run" && r.label in row.runs) {
    row.runs[r.label as keyof ThroughputRow["runs"]] += r.count;
    row.finished += r.count;
  } else if (r.kind === "bytes" && r.label === "processed") row.bytes += r.total;
  else if (r.kind === "bytes" && r.label === "source") row.source_bytes += r.total;
  else if (r.kind === "active") row.active_s += r.total / 1000;
}

function withRates(row: ThroughputRow, seconds: number): ThroughputRow {
  const per = (n: number, s: number): number => Math.round((n / s) * 1e6) / 1e6;
  // runs of a few ms: the time in flight is never taken as less than a millisecond
  const active = row.active_s > 0 ? Math.max(row.active_s, 0.001) : null;
  return {
    ...row,
    active_s: Math.round(row.active_s * 1000) / 1000,
    runs_per_s: per(row.finished, seconds),
    bytes_per_s: per(row.bytes, seconds),
    runs_per_s_while_active: active === null ? null : per(row.finished, active),
    bytes_per_s_while_active: active === null ? null : per(row.bytes, active),
  };
}
