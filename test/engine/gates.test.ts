import { describe, expect, it } from "vitest";
import { pipeline, qualityGate, step } from "../../src/index.js";
import { useHarness } from "./helpers.js";

const h = useHarness();

/** A quality gate over upstream outputs: passes on, or quarantines the run as gate:<name>. */
function scored(threshold: number) {
  let gateCalls = 0;
  const score = step("score", (_ctx, input: { values: number[] }) => ({
    mean: input.values.reduce((a, b) => a + b, 0) / input.values.length,
  }));
  const gate = qualityGate(
    "min-score",
    { after: [score] },
    (input: { score: { mean: number } }) => {
      gateCalls++;
      return {
        pass: input.score.mean >= threshold,
        evidence: { mean: input.score.mean, threshold },
      };
    },
  );
  const publish = step("publish", { after: [gate] }, () => ({ published: true }));
  return { p: pipeline(`gated-${threshold}`, [score, gate, publish]), calls: () => gateCalls };
}

describe("quality gates", () => {
  it("a passing gate lets the run go on, its output the evidence", async () => {
    const { p } = scored(2);
    const k = await h.start({ pipelines: [p] });
    const run = await k.submit(p, { values: [1, 2, 3, 4] } as never);
    const done = await k.wait(run.id, { timeoutMs: 5000 });
    expect(done.status).toBe("succeeded");
    const gate = (await k.inspect(run.id)).steps.find((s) => s.step === "min-score");
    expect(gate?.output).toEqual({
      gate: "min-score",
      passed: true,
      evidence: { mean: 2.5, threshold: 2 },
    });
  });

  it("a failing gate quarantines the run as gate:<name> with the evidence, once, and runs nothing after", async () => {
    const { p, calls } = scored(3);
    const k = await h.start({ pipelines: [p] });
    const run = await k.submit(p, { values: [1, 2, 3, 4] } as never);
    const done = await k.wait(run.id, { timeoutMs: 5000 });
    expect(done.status).toBe("quarantined");
    expect(done.quarantineReason).toBe("gate:min-score");
    expect(done.error).toMatchObject({
      code: "gate:min-score",
      step: "min-score",
      retryable: false,
    });
    expect(done.error?.message).toContain('{"mean":2.5,"threshold":3}');
    expect(calls()).toBe(1);
    expect((await k.inspect(run.id)).steps.map((s) => s.step)).toEqual(["score"]);
  });
});
