import { describe, it, expect } from "vitest";
import fc from "fast-check";
import {
  maxDurationMs,
  maxTimeMs,
  parseAt,
  parseDurationMs,
  parseSince,
} from "../../src/core/duration.js";

const NOW = Date.parse("2026-11-23T12:00:00.000Z");
const unitMs = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const unitArb = fc.constantFrom(...(Object.keys(unitMs) as (keyof typeof unitMs)[]));

const garbage = [
  "",
  " ",
  "abc",
  "10",
  "ms",
  "-5m",
  "5 minutes",
  "5M",
  "1e3s",
  "5m5s",
  "1.s",
  ".5s",
  "5mss",
  "24hh",
  "0x10s",
  "NaN s",
  "Infinity ms",
  "1,5h",
];
const badTimes = [
  "2026-13-01",
  "2026-02-30",
  "2026-04-31T10:00:00Z",
  "2026-11-23T25:00:00Z",
  "2026/11/23",
  "23.11.2026",
  "11/23/2026",
  "yesterday",
  "now",
  "2026-1-1",
  "2026-11-23T09:00:00Zjunk",
];

describe("parseDurationMs", () => {
  it("parses the operator words", () => {
    expect(parseDurationMs("500ms")).toBe(500);
    expect(parseDurationMs("30s")).toBe(30_000);
    expect(parseDurationMs("30m")).toBe(1_800_000);
    expect(parseDurationMs("24h")).toBe(86_400_000);
    expect(parseDurationMs("7d")).toBe(604_800_000);
    expect(parseDurationMs("2w")).toBe(1_209_600_000);
    expect(parseDurationMs("1.5s")).toBe(1500);
    expect(parseDurationMs(" 10 m ")).toBe(600_000);
    expect(parseDurationMs("0s")).toBe(0);
  });

  it("is number times unit, for any number and unit", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), unitArb, (n, unit) => {
        if (n * unitMs[unit] > maxDurationMs)
          expect(() => parseDurationMs(`${n}${unit}`)).toThrow(/36500d/);
        else expect(parseDurationMs(`${n}${unit}`)).toBe(n * unitMs[unit]);
      }),
    );
  });

  it("always gives a whole number of ms for decimals", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 999 }),
        unitArb,
        (i, frac, unit) => {
          fc.pre((i + 1) * unitMs[unit] <= maxDurationMs);
          const ms = parseDurationMs(`${i}.${frac}${unit}`);
          expect(Number.isInteger(ms)).toBe(true);
          expect(Math.abs(ms - Number(`${i}.${frac}`) * unitMs[unit])).toBeLessThanOrEqual(0.5);
        },
      ),
    );
  });

  for (const text of garbage) {
    it(`rejects ${JSON.stringify(text)} with a RangeError that quotes it and shows examples`, () => {
      expect(() => parseDurationMs(text)).toThrow(RangeError);
      expect(() => parseDurationMs(text)).toThrow(
        `"${text}" is not a duration; use a number and a unit, like 500ms`,
      );
    });
  }
});

describe("parseSince", () => {
  it("takes a duration as that long before now", () => {
    expect(parseSince("500ms", NOW)).toBe(NOW - 500);
    expect(parseSince("30s", NOW)).toBe(NOW - 30_000);
    expect(parseSince("30m", NOW)).toBe(NOW - 1_800_000);
    expect(parseSince("24h", NOW)).toBe(Date.parse("2026-11-22T12:00:00.000Z"));
    expect(parseSince("7d", NOW)).toBe(Date.parse("2026-11-16T12:00:00.000Z"));
  });

  it("takes an ISO time as itself, whatever now is", () => {
    expect(parseSince("2026-11-23T09:00:00Z", NOW)).toBe(Date.UTC(2026, 10, 23, 9));
    expect(parseSince("2026-11-23T09:00:00.250Z", 0)).toBe(Date.UTC(2026, 10, 23, 9, 0, 0, 250));
    expect(parseSince("2026-11-23T09:00:00+02:00", NOW)).toBe(Date.UTC(2026, 10, 23, 7));
    expect(parseSince("2026-11-23", NOW)).toBe(Date.UTC(2026, 10, 23));
    expect(parseSince("2024-02-29", NOW)).toBe(Date.UTC(2024, 1, 29));
    expect(parseSince(" 2026-11-23T09:00Z ", NOW)).toBe(Date.UTC(2026, 10, 23, 9));
  });

  it("round-trips any ISO instant", () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date("1970-01-01T00:00:00Z"),
          max: new Date("9999-12-31T23:59:59Z"),
          noInvalidDate: true,
        }),
        (d) => {
          expect(parseSince(d.toISOString(), NOW)).toBe(d.getTime());
          expect(parseAt(d.toISOString(), NOW)).toBe(d.getTime());
        },
      ),
    );
  });

  for (const text of [...garbage.filter((g) => !/^\d{4}/.test(g)), ...badTimes]) {
    it(`rejects ${JSON.stringify(text)} naming the flag and the accepted forms`, () => {
      expect(() => parseSince(text, NOW)).toThrow(RangeError);
      expect(() => parseSince(text, NOW)).toThrow(
        `--since "${text}" is neither a duration (30m, 24h, 7d) nor an ISO time`,
      );
    });
  }
});

describe("parseAt", () => {
  it("takes a duration as that long from now, and an ISO time as itself", () => {
    expect(parseAt("500ms", NOW)).toBe(NOW + 500);
    expect(parseAt("30s", NOW)).toBe(NOW + 30_000);
    expect(parseAt("30m", NOW)).toBe(NOW + 1_800_000);
    expect(parseAt("24h", NOW)).toBe(Date.parse("2026-11-24T12:00:00.000Z"));
    expect(parseAt("7d", NOW)).toBe(Date.parse("2026-11-30T12:00:00.000Z"));
    expect(parseAt("2026-12-01T09:00:00Z", NOW)).toBe(Date.UTC(2026, 11, 1, 9));
  });

  it("is the mirror image of parseSince for durations", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        unitArb,
        fc.integer({ min: 0, max: 2 ** 40 }),
        (n, unit, now) => {
          // inside the ranges: a duration of at most 100 years, a since after 1970
          fc.pre(n * unitMs[unit] <= Math.min(maxDurationMs, now));
          const text = `${n}${unit}`;
          expect(parseAt(text, now) - now).toBe(now - parseSince(text, now));
        },
      ),
    );
  });

  it("uses the real clock by default", () => {
    const before = Date.now();
    const at = parseAt("10m");
    expect(at).toBeGreaterThanOrEqual(before + 600_000);
    expect(at).toBeLessThanOrEqual(Date.now() + 600_000);
  });

  for (const text of ["soon", "10 minutes", "2026-02-30T09:00:00Z", "2026-00-10"]) {
    it(`rejects ${JSON.stringify(text)} naming --at`, () => {
      expect(() => parseAt(text, NOW)).toThrow(
        `--at "${text}" is neither a duration (10m, 2h) nor an ISO time`,
      );
    });
  }
});

describe("ranges: checked before anything is written", () => {
  it("refuses a duration over 36500d, naming the range", () => {
    expect(parseDurationMs("36500d")).toBe(maxDurationMs);
    for (const text of ["36501d", "999999999d", "99999999999d", "5300w"])
      expect(() => parseDurationMs(text)).toThrow(/from 0ms to 36500d/);
  });

  it("refuses an --at or --since outside 1970..9999, naming the range", () => {
    for (const text of ["999999999d", "0000-01-01", "1969-12-31T23:59:59Z"])
      expect(() => parseAt(text, NOW)).toThrow(/36500d|between 1970-01-01 and 9999-12-31/);
    expect(() => parseSince("99999999999d", NOW)).toThrow(/36500d/);
    expect(() => parseSince("1900-01-01", NOW)).toThrow(/between 1970-01-01 and 9999-12-31/);
    expect(parseAt("9999-12-31T23:59:59.999Z", NOW)).toBe(maxTimeMs);
  });

  it("takes a long since back to 1970 at the earliest", () => {
    expect(parseSince("36500d", NOW)).toBe(0);
  });
});
