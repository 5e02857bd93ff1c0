// The telemetry reports over hand-written rollups at fixed times: buckets, rates, ordering,
// percentiles from histograms merged across minutes, and the audited clean.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InvalidInputError } from "../../src/core/errors/definition-errors.js";
import { bucketOf, bucketUpperMs, observe } from "../../src/core/latency-histogram.js";
import {
  cleanTelemetry,
  telemetryFailures,
  telemetryLatency,
  telemetryThroughput,
} from "../../src/ops/telemetry.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import {
  minuteOf,
  telemetryIncrement,
  type TelemetryIncrement,
} from "../../src/store/telemetry.js";

const NOW = Date.UTC(2026, 0, 10, 12, 30, 15);
const M = minuteOf(NOW); // 12:30:00, the current minute, 15 s old
const min = 60_000;
const hour = 3_600_000;

let dir: string;
let store: SqliteStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "keel-ops-telemetry-"));
  store = SqliteStore.open({ path: join(dir, "keel.db") });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function row(overrides: Partial<TelemetryIncrement>): TelemetryIncrement {
  return telemetryIncrement({
    minute: M,
    pipeline: "a",
    kind: "run",
    label: "succeeded",
    ...overrides,
  });
}

function latencyRow(minute: number, values: number[]): TelemetryIncrement {
  const histogram = {};
  for (const v of values) observe(histogram, v);
  return row({
    minute,
    step: "parse",
    kind: "latency",
    label: "",
    count: values.length,
    total: values.reduce((a, b) => a + b, 0),
    max: Math.max(...values),
    histogram,
  });
}

describe("telemetry throughput", () => {
  beforeEach(async () => {
    await store.addTelemetry([
      row({ minute: M - 2 * min, count: 6 }),
      row({ minute: M - 2 * min, label: "quarantined" }),
      row({ minute: M - 2 * min, kind: "bytes", label: "processed", total: 600 }),
      row({ minute: M - 2 * min, kind: "bytes", label: "source", total: 50 }),
      // work was in flight 2 s of that minute, over two nodes' rows
      row({ minute: M - 2 * min, kind: "active", label: "", count: 0, total: 1500 }),
      row({ minute: M - 2 * min, kind: "active", label: "", count: 0, total: 500 }),
      row({ minute: M - min, label: "cancelled", count: 2 }),
      row({ minute: M, count: 3 }),
      row({ minute: M - 90 * min, pipeline: "b", count: 3 }),
    ]);
  });

  it("by the minute up to 3h, rates per second of the bucket inside the range", async () => {
    const doc = await telemetryThroughput(store, { since: NOW - hour, now: NOW });
    expect(doc).toMatchObject({
      since: new Date(minuteOf(NOW - hour)).toISOString(),
      until: new Date(NOW).toISOString(),
      pipeline: null,
      bucket: "minute",
    });
    expect(doc.series).toEqual([
      {
        start: new Date(M - 2 * min).toISOString(),
        pipeline: "a",
        runs: { succeeded: 6, quarantined: 1, cancelled: 0 },
        finished: 7,
        runs_per_s: 0.116667,
        bytes: 600,
        bytes_per_s: 10,
        source_bytes: 50,
        // 600 bytes in 2 s of work: 300 B/s while active, not the minute's 10 B/s
        active_s: 2,
        runs_per_s_while_active: 3.5,
        bytes_per_s_while_active: 300,
      },
      // no time in flight recorded (rows of an older node): no rate while active, not a made-up one
      expect.objectContaining({
        start: new Date(M - min).toISOString(),
        finished: 2,
        active_s: 0,
        runs_per_s_while_active: null,
      }),
      // the current minute has lasted 15 s
      expect.objectContaining({ start: new Date(M).toISOString(), finished: 3, runs_per_s: 0.2 }),
    ]);
    expect(doc.totals).toEqual([
      expect.objectContaining({
        pipeline: "a",
        runs: { succeeded: 9, quarantined: 1, cancelled: 2 },
        finished: 12,
        runs_per_s: Math.round((12 / 3615) * 1e6) / 1e6,
        bytes: 600,
        active_s: 2,
        bytes_per_s_while_active: 300,
      }),
    ]);
  });

  it("by the hour past 3h, or as asked; one pipeline", async () => {
    const doc = await telemetryThroughput(store, { since: NOW - 4 * hour, now: NOW });
    expect(doc.bucket).toBe("hour");
    expect(doc.series.map((s) => [s.start, s.pipeline, s.finished])).toEqual([
      [new Date(Date.UTC(2026, 0, 10, 11)).toISOString(), "b", 3],
      [new Date(Date.UTC(2026, 0, 10, 12)).toISOString(), "a", 12],
    ]);
    const byDay = await telemetryThroughput(store, {
      since: NOW - hour,
      bucket: "day",
      pipeline: "b",
      now: NOW,
    });
    expect(byDay.series).toEqual([]);
    expect(byDay.pipeline).toBe("b");
  });

  it("refuses a range that ends before it starts, and an unknown bucket", async () => {
    await expect(telemetryThroughput(store, { since: NOW, until: NOW - 1 })).rejects.toThrow(
      InvalidInputError,
    );
    await expect(
      telemetryThroughput(store, { since: NOW - hour, now: NOW, bucket: "week" as never }),
    ).rejects.toThrow(/bucket must be one of minute, hour, day/);
  });
});

describe("telemetry latency and failures", () => {
  it("reads percentiles from histograms merged across minutes", async () => {
    await store.addTelemetry([latencyRow(M - min, [10, 20, 30]), latencyRow(M, [40, 1000])]);
    const doc = await telemetryLatency(store, { since: NOW - hour, now: NOW });
    const round = (ms: number) => Math.round(ms * 1000) / 1000;
    expect(doc.steps).toEqual([
      {
        pipeline: "a",
        step: "parse",
        count: 5,
        avg_ms: 220,
        p50_ms: round(bucketUpperMs(bucketOf(30))),
        p95_ms: 1000,
        p99_ms: 1000,
        max_ms: 1000,
      },
    ]);
  });

  it("lists failed attempts and quarantines, most first", async () => {
    await store.addTelemetry([
      row({ kind: "failure", step: "fetch", label: "econnreset", count: 2 }),
      row({ kind: "failure", step: "parse", label: "parse_error", count: 5 }),
      row({ minute: M - min, kind: "failure", step: "fetch", label: "econnreset", count: 4 }),
      row({ kind: "quarantine", label: "permanent:parse_error", count: 5 }),
    ]);
    const doc = await telemetryFailures(store, { since: NOW - hour, now: NOW });
    expect(doc.failures).toEqual([
      { pipeline: "a", step: "fetch", code: "econnreset", count: 6 },
      { pipeline: "a", step: "parse", code: "parse_error", count: 5 },
    ]);
    expect(doc.quarantines).toEqual([{ pipeline: "a", reason: "permanent:parse_error", count: 5 }]);
  });
});

describe("telemetry clean", () => {
  it("deletes rollups older than N days, audited; a dry run only counts", async () => {
    const day = 86_400_000;
    await store.addTelemetry([
      row({ minute: M - 10 * day }),
      row({ minute: M - 10 * day, pipeline: "b" }),
      row({ minute: M }),
    ]);
    const options = { olderThanDays: 7, actor: "cli:dave", now: NOW };
    const expected = {
      older_than_days: 7,
      before: new Date(minuteOf(NOW - 7 * day)).toISOString(),
      rows: 2,
      minutes: 1,
    };
    expect(await cleanTelemetry(store, { ...options, dryRun: true })).toEqual({
      dry_run: true,
      ...expected,
    });
    expect((await store.listAudit({ limit: 5 })).entries).toEqual([]);
    expect(await cleanTelemetry(store, { ...options, dryRun: false })).toEqual({
      dry_run: false,
      ...expected,
    });
    expect(await store.readTelemetry({ since: 0 })).toHaveLength(1);
    expect((await store.listAudit({ limit: 5 })).entries[0]).toMatchObject({
      actor: "cli:dave",
      action: "telemetry.clean",
      target: "telemetry",
      details: { older_than_days: 7, rows: 2, minutes: 1 },
    });
    await expect(
      cleanTelemetry(store, { ...options, olderThanDays: 0, dryRun: true }),
    ).rejects.toThrow(/older_than_days/);
  });
});
