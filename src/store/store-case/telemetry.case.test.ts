import { describe, expect, it } from "vitest";
import { InvalidInputError } from "../../core/errors/definition-errors.js";
import { minuteOf, telemetryIncrement, type TelemetryIncrement } from "../telemetry.js";
import { NOW, expectKeelError, type StoreHandle } from "./helpers.case.test.js";

const M0 = minuteOf(NOW);
const M1 = M0 + 60_000;
const M2 = M0 + 120_000;

function inc(overrides: Partial<TelemetryIncrement> = {}): TelemetryIncrement {
  return telemetryIncrement({
    minute: M0,
    pipeline: "p",
    kind: "run",
    label: "succeeded",
    ...overrides,
  });
}

function latency(overrides: Partial<TelemetryIncrement> = {}): TelemetryIncrement {
  return inc({
    step: "parse",
    kind: "latency",
    label: "",
    count: 3,
    total: 12.5,
    max: 6.25,
    histogram: { 20: 2, 31: 1 },
    ...overrides,
  });
}

export function telemetryCases(h: StoreHandle): void {
  describe("telemetry rollups", () => {
    it("adds increments and reads every field back", async () => {
      await h.store.addTelemetry([
        inc(),
        latency(),
        inc({ kind: "bytes", label: "processed", total: 4096 }),
      ]);
      expect(await h.store.readTelemetry({ since: M0 })).toEqual([
        inc({ kind: "bytes", label: "processed", total: 4096 }),
        inc(),
        latency(),
      ]);
    });

    it("adds to a key that exists, as a second node would: counts, totals, max, histograms", async () => {
      await h.store.addTelemetry([latency(), inc()]);
      await h.store.addTelemetry([
        latency({ count: 2, total: 30, max: 20, histogram: { 31: 1, 45: 1 } }),
        inc({ count: 4 }),
      ]);
      await h.store.addTelemetry([latency({ count: 1, total: 1, max: 1, histogram: { 0: 1 } })]);
      expect(await h.store.readTelemetry({ since: M0 })).toEqual([
        inc({ count: 5 }),
        latency({ count: 6, total: 43.5, max: 20, histogram: { 0: 1, 20: 2, 31: 2, 45: 1 } }),
      ]);
    });

    it("counts every add made at once (one shared commit)", async () => {
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          h.store.addTelemetry([latency({ count: 1, total: i, max: i, histogram: { 10: 1 } })]),
        ),
      );
      expect(await h.store.readTelemetry({ since: M0 })).toEqual([
        latency({ count: 20, total: 190, max: 19, histogram: { 10: 20 } }),
      ]);
    });

    it("reads a range of minutes, one pipeline, some kinds, oldest minute first", async () => {
      await h.store.addTelemetry([
        inc({ minute: M2, pipeline: "a" }),
        inc({ minute: M1, pipeline: "b", kind: "failure", step: "x", label: "econnreset" }),
        inc({ minute: M1, pipeline: "a", kind: "quarantine", label: "max_attempts" }),
        inc({ minute: M0, pipeline: "a" }),
      ]);
      const read = async (query: Parameters<typeof h.store.readTelemetry>[0]) =>
        (await h.store.readTelemetry(query)).map((r) => [r.minute - M0, r.pipeline, r.kind]);
      expect(await read({ since: M0 })).toEqual([
        [0, "a", "run"],
        [60_000, "a", "quarantine"],
        [60_000, "b", "failure"],
        [120_000, "a", "run"],
      ]);
      // a time inside a minute reads that minute; until is exclusive
      expect(await read({ since: M1 + 59_999, until: M2 })).toEqual([
        [60_000, "a", "quarantine"],
        [60_000, "b", "failure"],
      ]);
      expect(await read({ since: M0, pipeline: "a", kinds: ["run"] })).toEqual([
        [0, "a", "run"],
        [120_000, "a", "run"],
      ]);
      expect(await read({ since: M0, kinds: [] })).toEqual([]);
      expect(await read({ since: M2 + 60_000 })).toEqual([]);
    });

    it("refuses a batch with a bad increment and writes none of it", async () => {
      for (const bad of [
        inc({ minute: M0 + 1 }),
        inc({ kind: "nope" as never }),
        inc({ count: -1 }),
        inc({ total: Number.NaN }),
      ]) {
        await expectKeelError(
          h.store.addTelemetry([inc(), bad]),
          InvalidInputError,
          "invalid_input",
        );
      }
      expect(await h.store.readTelemetry({ since: 0 })).toEqual([]);
    });

    it("deletes the minutes before a time; a dry run only counts; an audited clean is logged", async () => {
      await h.store.addTelemetry([
        inc({ minute: M0 }),
        inc({ minute: M0, pipeline: "b" }),
        inc({ minute: M1 }),
        inc({ minute: M2 }),
      ]);
      expect(await h.store.deleteTelemetryBefore(M2, { dryRun: true })).toEqual({
        rows: 3,
        minutes: 2,
        dryRun: true,
      });
      expect(await h.store.readTelemetry({ since: 0 })).toHaveLength(4);
      // retention: no audit entry
      expect(await h.store.deleteTelemetryBefore(M1)).toEqual({
        rows: 2,
        minutes: 1,
        dryRun: false,
      });
      expect((await h.store.listAudit({ limit: 10 })).entries).toEqual([]);
      const result = await h.store.deleteTelemetryBefore(M2, {
        audit: {
          action: "telemetry.clean",
          actor: "cli:dave",
          now: NOW,
          details: { older_than_days: 7 },
        },
      });
      expect(result).toEqual({ rows: 1, minutes: 1, dryRun: false });
      expect((await h.store.readTelemetry({ since: 0 })).map((r) => r.minute)).toEqual([M2]);
      const [entry] = (await h.store.listAudit({ limit: 10 })).entries;
      expect(entry).toMatchObject({
        at: NOW,
        actor: "cli:dave",
        action: "telemetry.clean",
        target: "telemetry",
        details: { older_than_days: 7, before: M2, rows: 1, minutes: 1 },
      });
    });
  });
}
