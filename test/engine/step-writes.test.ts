// How a run's writes are laid out: a step done within a turn has its start written with its
// outcome; a slower step has its start written while it runs; a run's last write hands its slot on.
import { describe, expect, it, vi } from "vitest";
import { pipeline, step } from "../../src/index.js";
import {
  describeTransitions,
  twoStepTrail,
  heldStep,
  stepStartWritten,
  useHarness,
} from "./helpers.js";

const h = useHarness();

describe("step writes", () => {
  it("a step done within a turn: its start goes in the same write as its checkpoint", async () => {
    const p = pipeline("quick", [step("a", () => 1), step("b", { after: ["a"] }, () => 2)]);
    const k = await h.start({ pipelines: [p] });
    const starts = vi.spyOn(k.store, "startStep");
    const events: string[] = [];
    k.on("step", (e) => events.push(`${e.step}:${e.status}`));
    const run = await k.submit(p, {});
    expect((await k.wait(run.id, { timeoutMs: 5000 })).status).toBe("succeeded");
    expect(starts).not.toHaveBeenCalled();
    const { transitions } = await k.inspect(run.id);
    expect(describeTransitions(transitions)).toEqual(twoStepTrail);
    expect(events).toEqual(["a:running", "a:succeeded", "b:running", "b:succeeded"]);
  });

  it("a failed attempt done within a turn has its start written with the failure", async () => {
    let calls = 0;
    const p = pipeline("flaky", [
      step("a", { retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 } }, () => {
        if (++calls === 1) throw new Error("ECONNRESET once");
        return "ok";
      }),
    ]);
    const k = await h.start({ pipelines: [p] });
    const starts = vi.spyOn(k.store, "startStep");
    const run = await k.submit(p, {});
    expect((await k.wait(run.id, { timeoutMs: 5000 })).status).toBe("succeeded");
    expect(starts).not.toHaveBeenCalled();
    const steps = describeTransitions((await k.inspect(run.id)).transitions).filter((t) =>
      t.startsWith("a:"),
    );
    expect(steps).toEqual([
      "a:pending->running:started",
      "a:running->failed:error",
      "a:failed->running:started",
      "a:running->succeeded:checkpoint",
    ]);
  });

  it("a step still running a turn later has its start written while it runs", async () => {
    const held = heldStep(h, "slow");
    const p = pipeline("slow", [held.step]);
    const k = await h.start({ pipelines: [p] });
    const running = stepStartWritten(k, "slow");
    const run = await k.submit(p, {});
    await held.started.promise;
    await running;
    const whileRunning = describeTransitions((await k.inspect(run.id)).transitions);
    expect(whileRunning.at(-1)).toBe("slow:pending->running:started");
    held.release.open();
    expect((await k.wait(run.id, { timeoutMs: 5000 })).status).toBe("succeeded");
    const after = describeTransitions((await k.inspect(run.id)).transitions);
    expect(after.filter((t) => t.endsWith(":started"))).toHaveLength(1);
  });

  it("a run's last write hands its slot on: the next claim is asked before it is committed", async () => {
    const p = pipeline("handoff", [step("a", () => null)]);
    const k = h.make({ pipelines: [p], concurrency: 1 });
    const first = await k.submit(p, {});
    const second = await k.submit(p, {});
    let firstWritten = false;
    let claimedBeforeFirstWritten = false;
    const complete = k.store.completeStep.bind(k.store);
    vi.spyOn(k.store, "completeStep").mockImplementation(async (lease, cp, output) => {
      await complete(lease, cp, output);
      if (lease.runId === first.id) firstWritten = true;
    });
    const claim = k.store.claimRuns.bind(k.store);
    vi.spyOn(k.store, "claimRuns").mockImplementation(async (request) => {
      const askedBeforeFirstWritten = !firstWritten;
      const claimed = await claim(request);
      if (claimed.some((c) => c.run.id === second.id) && askedBeforeFirstWritten)
        claimedBeforeFirstWritten = true;
      return claimed;
    });
    await k.start();
    expect((await k.wait(second.id, { timeoutMs: 5000 })).status).toBe("succeeded");
    expect((await k.get(first.id))?.status).toBe("succeeded");
    expect(claimedBeforeFirstWritten).toBe(true);
  });

  it("never runs more steps at once than its concurrency", async () => {
    let now = 0;
    let most = 0;
    const p = pipeline("bounded", [
      step("a", async () => {
        most = Math.max(most, ++now);
        await new Promise((resolve) => setImmediate(resolve));
        now--;
        return null;
      }),
    ]);
    const k = await h.start({ pipelines: [p], concurrency: 3 });
    const runs = await k.submitMany(
      p,
      Array.from({ length: 30 }, () => ({})),
    );
    for (const run of runs) await k.wait(run.id, { timeoutMs: 10_000 });
    expect(most).toBe(3);
  });
});
