import { describe, it, expect } from "vitest";
import fc from "fast-check";
import {
  backoffCeilingMs,
  backoffDelayMs,
  defaultRetryPolicy,
  resolveRetryPolicy,
  shouldRetry,
  validateRetryPolicy,
  type RetryPolicy,
} from "../../src/core/retry.js";

/** Valid policies, fractional values included. */
const policyArb: fc.Arbitrary<RetryPolicy> = fc
  .record({
    maxAttempts: fc.integer({ min: 1, max: 50 }),
    baseDelayMs: fc.oneof(
      fc.integer({ min: 0, max: 100_000 }),
      fc.double({ min: 0, max: 100_000, noNaN: true }),
    ),
    multiplier: fc.oneof(
      fc.integer({ min: 1, max: 10 }),
      fc.double({ min: 1, max: 10, noNaN: true }),
    ),
    extra: fc.double({ min: 0, max: 1_000_000, noNaN: true }),
    jitter: fc.constantFrom("full" as const, "none" as const),
  })
  .map(({ extra, ...p }) => ({ ...p, maxDelayMs: p.baseDelayMs + extra }));

const attemptsArb = fc.oneof(
  fc.integer({ min: 1, max: 40 }),
  fc.integer({ min: 1, max: 1_000_000_000 }),
);
/** A random source honouring Math.random's contract: [0, 1). */
const unitArb = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe("backoff", () => {
  it("the reference policy (base 1000, x2) gives ceilings 1s, 2s, 4s", () => {
    const p: RetryPolicy = {
      ...defaultRetryPolicy,
      baseDelayMs: 1000,
      multiplier: 2,
      maxDelayMs: 60_000,
    };
    expect([1, 2, 3].map((n) => backoffCeilingMs(p, n))).toEqual([1000, 2000, 4000]);
    expect([1, 2, 3].map((n) => backoffDelayMs({ ...p, jitter: "none" }, n))).toEqual([
      1000, 2000, 4000,
    ]);
    expect(backoffCeilingMs(p, 7)).toBe(60_000); // 64s capped at 60s
    expect(backoffCeilingMs(p, 0)).toBe(1000); // no failure yet: treated as the first retry
  });

  it("delay is within [0, ceiling] and an integer, for any random value", () => {
    fc.assert(
      fc.property(policyArb, attemptsArb, unitArb, (p, n, r) => {
        const ceiling = backoffCeilingMs(p, n);
        const delay = backoffDelayMs(p, n, () => r);
        expect(Number.isInteger(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(ceiling);
        expect(delay).toBeLessThanOrEqual(p.maxDelayMs);
      }),
    );
  });

  it("full jitter spans the whole range: random 0 gives 0, random just below 1 gives the ceiling", () => {
    fc.assert(
      fc.property(policyArb, attemptsArb, (p0, n) => {
        const p = { ...p0, jitter: "full" as const };
        const ceiling = backoffCeilingMs(p, n);
        expect(backoffDelayMs(p, n, () => 0)).toBe(0);
        expect(backoffDelayMs(p, n, () => 1 - Number.EPSILON)).toBe(ceiling);
      }),
    );
  });

  it("ceiling is non-decreasing in attempts and capped by maxDelayMs", () => {
    fc.assert(
      fc.property(
        policyArb,
        fc.integer({ min: 1, max: 2000 }),
        fc.integer({ min: 0, max: 2000 }),
        (p, n, more) => {
          const a = backoffCeilingMs(p, n);
          const b = backoffCeilingMs(p, n + more);
          expect(b).toBeGreaterThanOrEqual(a);
          expect(b).toBeLessThanOrEqual(p.maxDelayMs);
          expect(a).toBeGreaterThanOrEqual(
            Math.min(Math.floor(p.baseDelayMs), Math.floor(p.maxDelayMs)),
          );
        },
      ),
    );
  });

  it('jitter "none" gives exactly the ceiling and ignores the random source', () => {
    fc.assert(
      fc.property(policyArb, attemptsArb, (p0, n) => {
        const p = { ...p0, jitter: "none" as const };
        const delay = backoffDelayMs(p, n, () => {
          throw new Error("random must not be called");
        });
        expect(delay).toBe(backoffCeilingMs(p, n));
      }),
    );
  });

  it("huge attempt counts give finite numbers, never NaN or Infinity", () => {
    fc.assert(
      fc.property(
        policyArb,
        fc.constantFrom(1025, 5000, 1e6, 2 ** 31, Number.MAX_SAFE_INTEGER),
        unitArb,
        (p, n, r) => {
          const ceiling = backoffCeilingMs(p, n);
          const delay = backoffDelayMs(p, n, () => r);
          expect(Number.isFinite(ceiling)).toBe(true);
          expect(Number.isFinite(delay)).toBe(true);
          // a real multiplier grows past any cap long before 1025 attempts
          if (p.multiplier >= 1.5 && p.baseDelayMs >= 1)
            expect(ceiling).toBe(Math.floor(p.maxDelayMs));
        },
      ),
    );
  });

  it("a zero base delay stays zero however many attempts failed", () => {
    const p: RetryPolicy = {
      ...defaultRetryPolicy,
      baseDelayMs: 0,
      maxDelayMs: 60_000,
      jitter: "none",
    };
    for (const n of [1, 2, 10, 1100, 1e9]) expect(backoffDelayMs(p, n)).toBe(0);
  });
});

describe("shouldRetry", () => {
  it("is false when not retryable, or when attempts are exhausted; true otherwise", () => {
    fc.assert(
      fc.property(
        policyArb,
        fc.integer({ min: 0, max: 100 }),
        fc.boolean(),
        (p, failed, retryable) => {
          expect(shouldRetry(p, failed, retryable)).toBe(retryable && failed < p.maxAttempts);
          if (!retryable) expect(shouldRetry(p, failed, false)).toBe(false);
          if (failed >= p.maxAttempts) expect(shouldRetry(p, failed, true)).toBe(false);
        },
      ),
    );
  });

  it("maxAttempts 1 never retries; the default policy retries twice", () => {
    expect(shouldRetry({ ...defaultRetryPolicy, maxAttempts: 1 }, 1, true)).toBe(false);
    expect([1, 2, 3].map((n) => shouldRetry(defaultRetryPolicy, n, true))).toEqual([
      true,
      true,
      false,
    ]);
  });
});

describe("resolveRetryPolicy", () => {
  it("merges an override over the base, ignores undefined fields, and freezes the result", () => {
    const p = resolveRetryPolicy(defaultRetryPolicy, { maxAttempts: 5, baseDelayMs: undefined });
    expect(p).toEqual({ ...defaultRetryPolicy, maxAttempts: 5 });
    expect(Object.isFrozen(p)).toBe(true);
    expect(resolveRetryPolicy(defaultRetryPolicy, undefined)).toEqual(defaultRetryPolicy);
  });

  it("accepts every valid policy unchanged", () => {
    fc.assert(
      fc.property(policyArb, (p) => {
        expect(resolveRetryPolicy(defaultRetryPolicy, p)).toEqual(p);
      }),
    );
  });

  const bad: [keyof RetryPolicy, unknown][] = [
    ["maxAttempts", 0],
    ["maxAttempts", -1],
    ["maxAttempts", 2.5],
    ["maxAttempts", Number.NaN],
    ["baseDelayMs", -1],
    ["baseDelayMs", Number.NaN],
    ["multiplier", 0.5],
    ["multiplier", Number.NaN],
    ["multiplier", Number.POSITIVE_INFINITY],
    ["maxDelayMs", 10],
    ["maxDelayMs", Number.POSITIVE_INFINITY],
    ["jitter", "half"],
  ];
  for (const [field, value] of bad) {
    it(`rejects ${field} = ${String(value)} with a RangeError naming the field`, () => {
      const override = { [field]: value } as Partial<RetryPolicy>;
      expect(() => resolveRetryPolicy(defaultRetryPolicy, override)).toThrow(RangeError);
      expect(() => resolveRetryPolicy(defaultRetryPolicy, override)).toThrow(
        new RegExp(`invalid retry policy: .*${field}`),
      );
    });
  }

  it("rejects an infinite base delay (that would make every delay infinite)", () => {
    expect(() =>
      validateRetryPolicy({ ...defaultRetryPolicy, baseDelayMs: Infinity, maxDelayMs: Infinity }),
    ).toThrow(/baseDelayMs/);
  });

  it("names every bad field at once", () => {
    const err = (() => {
      try {
        resolveRetryPolicy(defaultRetryPolicy, { maxAttempts: 0, multiplier: 0 });
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(RangeError);
    expect(err?.message).toMatch(/maxAttempts/);
    expect(err?.message).toMatch(/multiplier/);
  });
});
