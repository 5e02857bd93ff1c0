import { describe, expect, it } from "vitest";
import { newRunId } from "../../src/core/ids.js";
import { parseSample, sampled } from "../../src/ops/shadow/sample.js";

/** A shadow's sample: decided by the run id alone, so every node and every scan agree. */
describe("shadow sampling", () => {
  const ids = Array.from({ length: 4000 }, () => newRunId());

  it("takes none at 0, all at 1, and about the rate between", () => {
    expect(ids.filter((id) => sampled(id, 0))).toEqual([]);
    expect(ids.filter((id) => sampled(id, 1))).toHaveLength(ids.length);
    const tenth = ids.filter((id) => sampled(id, 0.1)).length / ids.length;
    expect(tenth).toBeGreaterThan(0.07);
    expect(tenth).toBeLessThan(0.13);
  });

  it("gives the same answer for a run every time, and a larger sample holds the smaller", () => {
    const first = ids.filter((id) => sampled(id, 0.25));
    expect(ids.filter((id) => sampled(id, 0.25))).toEqual(first);
    const half = new Set(ids.filter((id) => sampled(id, 0.5)));
    expect(first.every((id) => half.has(id))).toBe(true);
  });

  it("reads a percentage and refuses anything else with the flag named", () => {
    expect(parseSample("10%")).toBe(0.1);
    expect(parseSample("0%")).toBe(0);
    expect(parseSample("100%")).toBe(1);
    expect(parseSample("0.5%")).toBe(0.005);
    for (const bad of ["10", "150%", "-1%", "ten%", ""])
      expect(() => parseSample(bad)).toThrow(/--sample .*percentage from 0% to 100%/);
  });
});
