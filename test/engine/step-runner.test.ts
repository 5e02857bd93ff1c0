import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { step } from "../../src/core/pipeline.js";
import { runStep, type StepRunInput } from "../../src/engine/step-runner.js";

/** One attempt of one step: its signal, its timeout, and what it leaves on the run's signal. */
function attempt(
  run: AbortController,
  fn: StepRunInput["step"]["run"],
  timeoutMs?: number,
): Promise<Awaited<ReturnType<typeof runStep>>> {
  return runStep({
    step: step("s", fn),
    runId: "run_1",
    traceId: "t",
    pipeline: "p",
    attempt: 1,
    runInput: {},
    seed: 1,
    input: {},
    timeoutMs,
    runSignal: run.signal,
    log: () => {
      throw new Error("no log in these steps");
    },
    onProgress: () => {},
  });
}

describe("running a step", () => {
  it("leaves at most one listener on the run's signal however many steps the run has", async () => {
    const run = new AbortController();
    for (let i = 0; i < 100; i++) {
      expect(await attempt(run, async () => i)).toEqual({ ok: true, output: i });
    }
    await attempt(run, async () => null, 1000);
    expect(getEventListeners(run.signal, "abort").length).toBeLessThanOrEqual(1);
  });

  it("ends an attempt when the run stops, with the run's reason, even if the step ignores it", async () => {
    const run = new AbortController();
    let seen: AbortSignal | undefined;
    const pending = attempt(run, (ctx) => {
      seen = ctx.signal;
      return new Promise(() => {}); // never settles, never looks at its signal
    });
    run.abort(new Error("cancelled by an operator"));
    const outcome = await pending;
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.error.message).toBe("cancelled by an operator");
    expect(seen?.aborted).toBe(true);
  });

  it("gives a step with a timeout its own signal, which the timeout fires and the run does not outlive", async () => {
    const run = new AbortController();
    let seen: AbortSignal | undefined;
    const outcome = await attempt(
      run,
      (ctx) => {
        seen = ctx.signal;
        return new Promise(() => {});
      },
      20,
    );
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.error.name).toBe("StepTimeoutError");
    expect(seen?.aborted).toBe(true);
    expect(run.signal.aborted).toBe(false);
  });
});
