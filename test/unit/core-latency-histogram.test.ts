import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  bucketOf,
  bucketUpperMs,
  addHistogram,
  nearestRank,
  observe,
  overflowBucket,
  percentileMs,
  type LatencyHistogram,
} from "../../src/core/latency-histogram.js";

/** Latencies from sub-0.1 ms to past the top bucket (~1.9 h), spread over every order of magnitude. */
const msArb = fc.oneof(
  fc.double({ min: 0, max: 0.2, noNaN: true }),
  fc.double({ min: 0, max: 1000, noNaN: true }),
  fc.integer({ min: 0, max: 10_000_000 }),
  fc.double({ min: 0, max: 2e7, noNaN: true }),
);
const pArb = fc.oneof(
  fc.constantFrom(0.5, 0.95, 0.99, 1),
  fc.double({ min: 0.001, max: 1, noNaN: true }),
);

function histogramOf(values: readonly number[]): LatencyHistogram {
  const h: LatencyHistogram = {};
  for (const ms of values) observe(h, ms);
  return h;
}

describe("latency histogram", () => {
  it("puts each value in the bucket whose bounds hold it", () => {
    fc.assert(
      fc.property(msArb, (ms) => {
        const b = bucketOf(ms);
        expect(ms).toBeLessThan(bucketUpperMs(b));
        if (b > 0) expect(ms).toBeGreaterThanOrEqual(bucketUpperMs(b - 1));
      }),
    );
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(0.1)).toBe(1);
    expect(bucketOf(0.2)).toBe(5); // four buckets per doubling
    expect(bucketOf(1e9)).toBe(overflowBucket);
    expect(bucketOf(-5)).toBe(0);
  });

  it("merged percentiles of split samples are within one bucket of the exact percentile", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(msArb, { maxLength: 60 }), { minLength: 1, maxLength: 6 }),
        pArb,
        (parts, p) => {
          const all = parts.flat();
          fc.pre(all.length > 0);
          // as nodes and minutes would: one histogram each, merged afterwards
          const merged = parts.map(histogramOf).reduce(addHistogram, {});
          const sorted = [...all].sort((a, b) => a - b);
          const exact = sorted[nearestRank(p, sorted.length) - 1] as number;
          const max = sorted.at(-1) as number;
          const estimate = percentileMs(merged, p, max) as number;
          // never below the exact value, never past the upper bound of its bucket
          expect(estimate).toBeGreaterThanOrEqual(exact);
          expect(estimate).toBeLessThanOrEqual(Math.min(bucketUpperMs(bucketOf(exact)), max));
          expect(merged).toEqual(histogramOf(all));
        },
      ),
    );
  });

  it("is null when empty and the max for p = 1", () => {
    expect(percentileMs({}, 0.5, 0)).toBeNull();
    const h = histogramOf([10, 20, 30, 40]);
    expect(percentileMs(h, 1, 40)).toBe(40);
    expect(percentileMs(h, 0.5, 40)).toBeGreaterThanOrEqual(20);
    expect(percentileMs(h, 0.5, 40)).toBeLessThan(20 * 1.19);
  });
});
