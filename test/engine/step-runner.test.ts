import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { step } from "../../src/core/pipeline.js";
import { RunStop } from "../../src/engine/run-stop.js";
import { runStep, type StepRunInput } from "../../src/engine/step-runner.js";

/** One attempt of one step: its signal, its timeout, and what it leaves on the run's signal. */
function attempt(
  run: RunStop,
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
    runStop: run,
    log: () => {
      throw new Error("no log in these steps");
    },
    onProgress: () => {},
  });
}

describe("running a step", () => {
  it("leaves at most one listener on the run's signal however many steps the run has", async () => {
    const run = new RunStop();
    for (let i = 0; i < 100; i++) {
      expect(await attempt(run, async () => i)).toEqual({ ok: true, output: i });
    }
    await attempt(run, async () => null, 1000);
    expect(getEventListeners(run.signal, "abort").length).toBeLessThanOrEqual(1);
  });

  it("ends an attempt when the run stops, with the run's reason, even if the step ignores it", async () => {
    const run = new RunStop();
    let seen: AbortSignal | undefined;
    const pending = attempt(run, (ctx) => {
      seen = ctx.signal;
      return new Promise(() => {}); // never settles, never looks at its signal
    });
    run.stop(new Error("cancelled by an operator"));
    const outcome = await pending;
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.error.message).toBe("cancelled by an operator");
    expect(seen?.aborted).toBe(true);
  });

  it("gives a step with a timeout its own signal, which the timeout fires and the run does not outlive", async () => {
    const run = new RunStop();
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

  it("makes the run's signal only for a step that reads it, and a late one is already aborted", async () => {
    const run = new RunStop();
    const made = (r: RunStop): boolean =>
      (r as unknown as { controller?: AbortController }).controller !== undefined;
    for (let i = 0; i < 10; i++) await attempt(run, async () => i);
    expect(made(run)).toBe(false);
    // a step still running when the run stops, reading its signal only afterwards
    let late: AbortSignal | undefined;
    let release: () => void = () => {};
    const pending = attempt(run, async (ctx) => {
      await new Promise<void>((resolve) => (release = resolve));
      late = ctx.signal;
      return null;
    });
    run.stop(new Error("lease lost"));
    const outcome = await pending;
    expect(!outcome.ok && outcome.error.message).toBe("lease lost");
    release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(late?.aborted).toBe(true);
    expect(late?.reason).toMatchObject({ message: "lease lost" });
  });

  it("ends at once a step started after its run was stopped", async () => {
    const run = new RunStop();
    run.stop(new Error("node stopping"));
    const outcome = await attempt(run, () => new Promise(() => {}));
    expect(!outcome.ok && outcome.error.message).toBe("node stopping");
    const timed = await attempt(run, () => new Promise(() => {}), 10_000);
    expect(!timed.ok && timed.error.message).toBe("node stopping");
  });
});
