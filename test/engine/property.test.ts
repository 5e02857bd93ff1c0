// Property: for random small DAGs and random failure plans within the retry budget, every run
// succeeds, each step executes exactly (failures + 1) times, and each checkpoint exists once.
import fc from "fast-check";
import { expect, it } from "vitest";
import type { AnyStep } from "../../src/core/pipeline.js";
import { TransientError, pipeline, step } from "../../src/index.js";
import { useHarness } from "./helpers.js";

const h = useHarness();

type FailureKind = "error" | "transient" | "string";

interface Plan {
  /** after[i]: indexes (all < i) of the steps step i runs after */
  after: number[][];
  /** failures[i]: how many times step i fails before it succeeds */
  failures: number[];
  kinds: FailureKind[];
}

const planArb: fc.Arbitrary<Plan> = fc.integer({ min: 3, max: 8 }).chain((n) =>
  fc.record({
    after: fc.tuple(
      ...Array.from({ length: n }, (_, i) => fc.subarray(Array.from({ length: i }, (_, j) => j))),
    ),
    failures: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: n, maxLength: n }),
    kinds: fc.array(fc.constantFrom<FailureKind>("error", "transient", "string"), {
      minLength: n,
      maxLength: n,
    }),
  }),
);

let pipelineSeq = 0;

it("every run of a random DAG with retryable failures succeeds, each step run exactly failures+1 times", async () => {
  await fc.assert(
    fc.asyncProperty(planArb, async (plan) => {
      const n = plan.failures.length;
      const names = Array.from({ length: n }, (_, i) => `s${i}`);
      const executions = new Array<number>(n).fill(0);
      const inputs: unknown[][] = Array.from({ length: n }, () => []);
      const steps: AnyStep[] = names.map((name, i) =>
        step(name, { after: plan.after[i]!.map((j) => names[j]!) }, (_ctx, input: unknown) => {
          executions[i]!++;
          inputs[i]!.push(input);
          if (executions[i]! <= plan.failures[i]!) {
            const kind = plan.kinds[i];
            if (kind === "transient") throw new TransientError(`${name} transient`);
            if (kind === "string") throw `${name} threw a string`;
            throw new Error(`${name} failed`);
          }
          return { step: name, input };
        }),
      );
      const p = pipeline(`prop-${pipelineSeq++}`, steps);
      const k = await h.start({
        home: h.newHome(),
        pipelines: [p],
        retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
      });
      try {
        const run = await k.submit(p, { seed: 1 });
        const done = await k.wait(run.id, { timeoutMs: 10_000 });
        expect(done.status).toBe("succeeded");
        expect(executions).toEqual(plan.failures.map((f) => f + 1));
        expect(done.attempts).toBe(plan.failures.reduce((a, b) => a + b, 0));
        expect(done.stepAttempts).toEqual(
          Object.fromEntries(
            names.flatMap((name, i) => (plan.failures[i]! > 0 ? [[name, plan.failures[i]!]] : [])),
          ),
        );

        // the expected outputs, computed from the graph alone
        const expected: unknown[] = [];
        names.forEach((name, i) => {
          const deps = plan.after[i]!;
          const input =
            deps.length === 0
              ? { seed: 1 }
              : Object.fromEntries(deps.map((j) => [names[j]!, expected[j]]));
          expected[i] = { step: name, input };
          // every attempt of the step saw the same input
          for (const seen of inputs[i]!) expect(seen).toEqual(input);
        });
        const sinks = names.filter((_, i) => !plan.after.some((deps) => deps.includes(i)));
        expect(done.output).toEqual(
          Object.fromEntries(sinks.map((s) => [s, expected[names.indexOf(s)]])),
        );

        const { steps: results } = await k.inspect(run.id);
        expect(results.map((r) => r.step).sort()).toEqual([...names].sort());
        for (const r of results) {
          const i = names.indexOf(r.step);
          expect(r.attempt).toBe(plan.failures[i]! + 1);
          expect(r.output).toEqual(expected[i]);
          expect(r.nodeId).toBe(k.nodeId);
        }
      } finally {
        await k.stop();
      }
    }),
    { numRuns: Number(process.env.KEEL_PROPERTY_RUNS ?? 15) },
  );
}, 60_000);
