import { describe, it, expect, vi } from "vitest";
import fc from "fast-check";
import { newNodeId, newRunId, newSeed, newTraceId, sortableId } from "../../src/core/ids.js";

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const idPattern = /^[0-9A-HJKMNP-TV-Z]{26}$/;

function decodeTime(id: string): number {
  let t = 0;
  for (const ch of id.slice(0, 10)) t = t * 32 + crockford.indexOf(ch);
  return t;
}

/** sortableId keeps the last time it saw; each test of this file uses times past every earlier one. */
let clock = Date.now() + 10_000_000;
function later(ms = 1000): number {
  clock += ms;
  return clock;
}

/** A fresh copy of ids.ts, with no memory of earlier calls. */
async function freshIds(): Promise<typeof import("../../src/core/ids.js")> {
  vi.resetModules();
  return import("../../src/core/ids.js");
}

describe("sortableId", () => {
  it("is 26 Crockford base32 characters whose first 10 encode the time", () => {
    const t = later();
    const id = sortableId(t);
    expect(id).toMatch(idPattern);
    expect(id).toHaveLength(26);
    expect(decodeTime(id)).toBe(t);
    for (let i = 0; i < 200; i++) expect(sortableId()).toMatch(idPattern);
  });

  it("is strictly increasing across many calls in the same millisecond", () => {
    const t = later();
    const ids = Array.from({ length: 5000 }, () => sortableId(t));
    for (let i = 1; i < ids.length; i++)
      expect((ids[i - 1] as string) < (ids[i] as string)).toBe(true);
    expect(new Set(ids.map((id) => id.slice(0, 10)))).toEqual(
      new Set([(ids[0] as string).slice(0, 10)]),
    );
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("is strictly increasing across many calls with the real clock", () => {
    const ids = Array.from({ length: 5000 }, () => sortableId());
    for (let i = 1; i < ids.length; i++)
      expect((ids[i - 1] as string) < (ids[i] as string)).toBe(true);
  });

  it("stays increasing when the clock goes backwards", () => {
    const t = later();
    const first = sortableId(t);
    const second = sortableId(t - 5000);
    expect(second > first).toBe(true);
    expect(decodeTime(second)).toBe(t);
  });

  it("ids from later times sort after, whatever the randomness", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 10_000_000 }), { minLength: 2, maxLength: 30 }),
        fc.integer({ min: 0, max: 5 }),
        (steps, repeats) => {
          const ids: string[] = [];
          for (const step of steps) {
            const t = later(step);
            for (let r = 0; r <= repeats; r++) ids.push(sortableId(t));
          }
          const sorted = [...ids].sort();
          expect(sorted).toEqual(ids);
          expect(new Set(ids).size).toBe(ids.length);
        },
      ),
    );
  });

  it("orders by time over the whole 48-bit range (fresh module)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 2 ** 48 - 2 }),
        fc.integer({ min: 1, max: 2 ** 40 }),
        async (t, gap) => {
          const t2 = Math.min(t + gap, 2 ** 48 - 1);
          const ids = await freshIds();
          const a = ids.sortableId(t);
          const b = ids.sortableId(t2);
          expect(decodeTime(a)).toBe(t);
          expect(decodeTime(b)).toBe(t2);
          expect(a < b).toBe(true);
        },
      ),
      { numRuns: 50 },
    );
  });

  it("starts with fresh randomness in each new millisecond", async () => {
    const ids = await freshIds();
    const tails = new Set(
      Array.from({ length: 50 }, (_, i) => ids.sortableId(1_000_000 + i).slice(10)),
    );
    expect(tails.size).toBe(50);
  });
});

describe("other ids", () => {
  it("newRunId is run_ and a sortable id, increasing", () => {
    const a = newRunId();
    const b = newRunId();
    expect(a).toMatch(/^run_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(b > a).toBe(true);
  });

  it("newTraceId is 32 lowercase hex characters, not all zero", () => {
    const ids = Array.from({ length: 100 }, () => newTraceId());
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f]{32}$/);
      expect(id).not.toBe("0".repeat(32));
    }
    expect(new Set(ids).size).toBe(100);
  });

  it("newSeed is a uint32", () => {
    for (let i = 0; i < 100; i++) {
      const seed = newSeed();
      expect(Number.isInteger(seed)).toBe(true);
      expect(seed).toBeGreaterThanOrEqual(0);
      expect(seed).toBeLessThan(2 ** 32);
    }
  });

  it("newNodeId is host-pid-6 hex", () => {
    expect(newNodeId("box.local", 4242)).toMatch(/^box\.local-4242-[0-9a-f]{6}$/);
    expect(newNodeId("h", 1)).not.toBe(newNodeId("h", 1));
  });
});
