// Telemetry rollups from real runs through a real store: ended runs by status, failed attempts by
// code, quarantines by reason, bytes, and step latency percentiles from the merged histograms;
// a store that refuses the flush loses nothing and fails no run; retention at start.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { bucketOf, bucketUpperMs, nearestRank } from "../../src/core/latency-histogram.js";
import { PermanentError, TransientError, pipeline, step, type Store } from "../../src/index.js";
import {
  telemetryFailures,
  telemetryLatency,
  telemetryThroughput,
} from "../../src/ops/telemetry.js";
import { openStore } from "../../src/store/open-store.js";
import { minuteOf, telemetryIncrement } from "../../src/store/telemetry.js";
import { sleep, until, useHarness } from "./helpers.js";

const h = useHarness();

const quick = step("quick", async (ctx) => {
  await sleep(2);
  ctx.progress(100);
  return 1;
});
const slow = step("slow", { after: [quick] }, async () => {
  await sleep(30);
  return 2;
});
const timed = pipeline("timed", [quick, slow]);
const flaky = pipeline("flaky", [
  step("call", (ctx) => {
    if (ctx.attempt === 1) throw new TransientError("connection reset", "econnreset");
    return "ok";
  }),
]);
const broken = pipeline("broken", [
  step("parse", () => {
    throw new PermanentError("unexpected token", "parse_error");
  }),
]);

const hourAgo = (): number => Date.now() - 3_600_000;

describe("telemetry", () => {
  it("counts ended runs, failed attempts, quarantines, bytes and step latency", async () => {
    const k = await h.start({ pipelines: [timed, flaky, broken], telemetry: { flushMs: 50 } });
    const exact: Record<string, number[]> = {};
    k.on("step", (e) => {
      if (e.status === "succeeded") (exact[`${e.pipeline}/${e.step}`] ??= []).push(e.ms as number);
    });
    const runs = [
      ...(await k.submitMany(
        timed,
        Array.from({ length: 12 }, () => ({})),
      )),
      ...(await k.submitMany(flaky, [{}, {}, {}])),
      ...(await k.submitMany(broken, [{}, {}])),
    ];
    for (const run of runs) await k.wait(run.id, { timeoutMs: 10_000 });
    const later = await k.submit(timed, {}, { at: Date.now() + 60_000 });
    await k.cancel(later.id, "not needed");
    await k.stop(); // the last flush

    const { store } = h.make(); // another process's view: only what reached the store
    const throughput = await telemetryThroughput(store, { since: hourAgo() });
    expect(throughput.bucket).toBe("minute");
    // every pipeline's runs were in flight for some time, recorded with the counts
    for (const t of throughput.totals) expect(t.active_s).toBeGreaterThan(0);
    const counted = throughput.totals.map(
      ({
        runs_per_s,
        bytes_per_s,
        active_s,
        runs_per_s_while_active,
        bytes_per_s_while_active,
        ...rest
      }) => rest,
    );
    expect(counted).toEqual([
      totals("broken", { quarantined: 2 }),
      totals("flaky", { succeeded: 3 }),
      { ...totals("timed", { succeeded: 12, cancelled: 1 }), bytes: 1200 },
    ]);
    expect(throughput.series.reduce((n, s) => n + s.finished, 0)).toBe(18);

    const failures = await telemetryFailures(store, { since: hourAgo() });
    expect(failures.failures).toEqual([
      { pipeline: "flaky", step: "call", code: "econnreset", count: 3 },
      { pipeline: "broken", step: "parse", code: "parse_error", count: 2 },
    ]);
    expect(failures.quarantines).toEqual([
      { pipeline: "broken", reason: "permanent:parse_error", count: 2 },
    ]);

    const latency = await telemetryLatency(store, { since: hourAgo() });
    expect(latency.steps.map((s) => `${s.pipeline}/${s.step}`)).toEqual([
      "flaky/call",
      "timed/quick",
      "timed/slow",
    ]);
    for (const s of latency.steps) {
      const values = (exact[`${s.pipeline}/${s.step}`] as number[]).sort((a, b) => a - b);
      expect(s.count).toBe(values.length);
      expect(s.max_ms).toBeCloseTo(values.at(-1) as number, 2);
      expect(s.avg_ms).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 2);
      for (const [p, reported] of [
        [0.5, s.p50_ms],
        [0.95, s.p95_ms],
        [0.99, s.p99_ms],
      ] as const) {
        const value = values[nearestRank(p, values.length) - 1] as number;
        // never below the exact percentile, at most to the top of its bucket (3-decimal rounding)
        expect(reported).toBeGreaterThanOrEqual(value - 0.001);
        expect(reported).toBeLessThanOrEqual(bucketUpperMs(bucketOf(value)) + 0.001);
      }
    }
    const slowStep = latency.steps.find((s) => s.step === "slow");
    expect(slowStep?.p50_ms).toBeGreaterThanOrEqual(30);
  });

  it("counts the size of the files a watch source made runs of", async () => {
    const inbox = join(h.home, "inbox");
    mkdirSync(inbox);
    writeFileSync(join(inbox, "a.txt"), "x".repeat(1234));
    writeFileSync(join(inbox, "b.txt"), "y".repeat(766));
    const k = await h.start({
      pipelines: [timed],
      sources: [{ name: "inbox", pipeline: "timed", watch: inbox }],
      telemetry: { flushMs: 20 },
    });
    await until(
      async () => {
        const doc = await telemetryThroughput(k.store, { since: hourAgo() });
        return doc.totals[0]?.source_bytes === 2000 && doc.totals[0].runs.succeeded === 2;
      },
      { timeoutMs: 10_000, message: "two watched files counted" },
    );
  });

  it("keeps the counts when the store refuses a flush, writes them once later, fails no run", async () => {
    const real = openStore({ home: h.home });
    let refusals = 2;
    const store = new Proxy(real, {
      get(target, prop) {
        if (prop === "addTelemetry")
          return async (batch: Parameters<Store["addTelemetry"]>[0]) => {
            if (refusals-- > 0) throw new Error("the disk is on fire");
            return target.addTelemetry(batch);
          };
        const value = Reflect.get(target, prop) as unknown;
        return typeof value === "function" ? value.bind(target) : value;
      },
    }) as Store;
    const warnings: string[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => warnings.push(line) });
    const k = await h.start({ pipelines: [timed], store, logger, telemetry: { flushMs: 20 } });
    for (let i = 0; i < 3; i++) {
      const run = await k.submit(timed, {});
      expect((await k.wait(run.id, { timeoutMs: 10_000 })).status).toBe("succeeded");
      await sleep(30); // a flush (refused, for the first two) between runs
    }
    await k.stop();
    expect(refusals).toBeLessThan(0);
    const doc = await telemetryThroughput(real, { since: hourAgo() });
    expect(doc.totals[0]).toMatchObject({ runs: { succeeded: 3 }, bytes: 300 });
    const flushWarnings = warnings.filter((l) => l.includes("telemetry flush failed"));
    expect(flushWarnings.length).toBeGreaterThanOrEqual(1);
    await real.close();
  });

  it("deletes rollups older than retention_days at start; 0 keeps them", async () => {
    const store = openStore({ home: h.home });
    const day = 86_400_000;
    const row = (at: number) =>
      telemetryIncrement({
        minute: minuteOf(at),
        pipeline: "timed",
        kind: "run",
        label: "succeeded",
      });
    await store.addTelemetry([row(Date.now() - 40 * day), row(Date.now() - 2 * day)]);
    const kept = await h.start({ pipelines: [timed], store, telemetry: { retentionDays: 0 } });
    await kept.stop();
    expect(await store.readTelemetry({ since: 0 })).toHaveLength(2);
    const k = await h.start({ pipelines: [timed], store, telemetry: { retentionDays: 30 } });
    await until(async () => (await store.readTelemetry({ since: 0 })).length === 1, {
      message: "the 40-day-old row deleted",
    });
    await k.stop();
    await store.close();
  });
});

function totals(
  pipeline: string,
  runs: Partial<Record<"succeeded" | "quarantined" | "cancelled", number>>,
) {
  const all = { succeeded: 0, quarantined: 0, cancelled: 0, ...runs };
  const finished = all.succeeded + all.quarantined + all.cancelled;
  return { pipeline, runs: all, finished, bytes: 0, source_bytes: 0 };
}
