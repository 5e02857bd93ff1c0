// Cancelling runs: pending ones never execute; in-flight ones have their step's signal aborted,
// write nothing more and run no later step, whether cancelled here or by another instance.
import { describe, expect, it } from "vitest";
import { KeelError, TransientError, pipeline, step } from "../../src/index.js";
import { abortedPromise, describeTransitions, gate, until, useHarness } from "./helpers.js";

const h = useHarness();

describe("cancel", () => {
  it("cancels a pending run: it is never executed", async () => {
    let calls = 0;
    const s = step("s", () => {
      calls++;
      return 1;
    });
    const p = pipeline("cancel-pending", [s]);
    const k = h.make({ pipelines: [p] });
    const run = await k.submit(p, {});
    const cancelled = await k.cancel(run.id, "not needed", "alice");
    expect(cancelled.status).toBe("cancelled");
    expect(cancelled.finishedAt).not.toBeNull();

    await k.start();
    // a run submitted after it is done, so the cancelled one had its chance to be (wrongly) claimed
    const later = await k.submit(p, {});
    expect((await k.wait(later.id, { timeoutMs: 5000 })).status).toBe("succeeded");
    expect(calls).toBe(1);

    const { run: final, steps, transitions } = await k.inspect(run.id);
    expect(final.status).toBe("cancelled");
    expect(steps).toEqual([]);
    expect(describeTransitions(transitions)).toEqual([
      "run:-->pending:submitted",
      "run:pending->cancelled:not needed",
    ]);
    expect(transitions[1]?.actor).toBe("alice");
  });

  it("cancels an in-flight run: its signal aborts, nothing is written after, later steps never run", async () => {
    const started = gate();
    let signal: AbortSignal | undefined;
    let laterCalls = 0;
    const slow = step("slow", async (ctx) => {
      signal = ctx.signal;
      started.open();
      await abortedPromise(ctx.signal);
      return "finished anyway";
    });
    const later = step("later", { after: [slow] }, () => {
      laterCalls++;
      return 1;
    });
    const p = pipeline("cancel-inflight", [slow, later]);
    const k = await h.start({ pipelines: [p] });
    const settled: string[] = [];
    k.on("settled", (e) => settled.push(e.runId));
    const run = await k.submit(p, {});
    await started.promise;

    const cancelled = await k.cancel(run.id, "operator said so");
    expect(cancelled.status).toBe("cancelled");
    expect(signal?.aborted).toBe(true);
    await until(() => settled.includes(run.id), { message: "the execution to end" });

    const done = await k.wait(run.id, { timeoutMs: 1000 });
    expect(done.status).toBe("cancelled");
    expect(laterCalls).toBe(0);
    const { steps, transitions } = await k.inspect(run.id);
    expect(steps).toEqual([]);
    const cancelAt = transitions.findIndex((t) => t.to === "cancelled" && t.step === null);
    expect(cancelAt).toBeGreaterThan(0);
    // the cancel is the last word: no checkpoint, failure or status change after it
    expect(transitions.slice(cancelAt + 1)).toEqual([]);
    expect(transitions[cancelAt]).toMatchObject({
      from: "running",
      reason: "operator said so",
      actor: "api",
    });
  });

  it("drops the result of a step that ignores its signal and returns after the cancel", async () => {
    const started = gate();
    const release = gate();
    h.onCleanup(() => release.open());
    let returned = false;
    const stubborn = step("stubborn", async () => {
      started.open();
      await release.promise;
      returned = true;
      return "result";
    });
    const p = pipeline("cancel-stubborn", [
      stubborn,
      step("after", { after: [stubborn] }, () => 1),
    ]);
    const k = await h.start({ pipelines: [p] });
    const run = await k.submit(p, {});
    await started.promise;
    await k.cancel(run.id, "stop it");
    release.open();
    await until(() => returned);
    // one more node round-trip: a healthy run on the same node completes
    const other = pipeline("cancel-other", [step("x", () => 2)]);
    expect((await k.wait((await k.submit(other, {})).id, { timeoutMs: 5000 })).status).toBe(
      "succeeded",
    );

    const { run: final, steps, transitions } = await k.inspect(run.id);
    expect(final.status).toBe("cancelled");
    expect(steps).toEqual([]);
    expect(transitions.at(-1)).toMatchObject({ to: "cancelled", reason: "stop it" });
  });

  it("needs a reason", async () => {
    const p = pipeline("cancel-reason", [step("s", () => 1)]);
    const k = h.make({ pipelines: [p] });
    const run = await k.submit(p, {});
    for (const reason of [undefined, "", "   "]) {
      const error = await k.cancel(run.id, reason as unknown as string).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KeelError);
      expect(error).toMatchObject({
        name: "InvalidInputError",
        code: "invalid_input",
        details: { field: "reason" },
      });
    }
    expect((await k.get(run.id))?.status).toBe("pending");
  });

  it("refuses to cancel a finished run or an unknown one", async () => {
    const p = pipeline("cancel-finished", [step("s", () => 1)]);
    const k = await h.start({ pipelines: [p] });
    const run = await k.submit(p, {});
    await k.wait(run.id, { timeoutMs: 5000 });
    await expect(k.cancel(run.id, "too late")).rejects.toMatchObject({
      code: "illegal_transition",
    });
    await expect(k.cancel("run_nope", "why")).rejects.toMatchObject({ code: "not_found" });
    expect((await k.get(run.id))?.status).toBe("succeeded");
  });

  it("cancels a run in its second attempt, claimed again at once after a zero-delay retry", async () => {
    const secondStarted = gate();
    let secondSignal: AbortSignal | undefined;
    const s = step("s", async (ctx) => {
      if (ctx.attempt === 1)
        throw new TransientError("again", "transient", { nextRetryDelayMs: 0 });
      secondSignal = ctx.signal;
      secondStarted.open();
      await abortedPromise(ctx.signal);
      return "aborted";
    });
    const p = pipeline("cancel-second-attempt", [s]);
    // slow heartbeat: only the in-process abort can stop the step within the test
    const k = await h.start({ pipelines: [p], leaseMs: 60_000, heartbeatMs: 30_000 });
    const run = await k.submit(p, {});
    await secondStarted.promise;
    await k.cancel(run.id, "enough");
    await until(() => secondSignal?.aborted, {
      timeoutMs: 2000,
      message: "the second attempt's signal to abort",
    });
    expect((await k.get(run.id))?.status).toBe("cancelled");
  });
});

describe("cancel from another instance", () => {
  it("is seen by the running node's heartbeat, which aborts the step", async () => {
    const started = gate();
    let signal: AbortSignal | undefined;
    let laterCalls = 0;
    const slow = step("slow", async (ctx) => {
      signal = ctx.signal;
      started.open();
      await abortedPromise(ctx.signal);
      return "x";
    });
    const later = step("later", { after: [slow] }, () => {
      laterCalls++;
      return 1;
    });
    const p = pipeline("remote-cancel", [slow, later]);
    const a = await h.start({ pipelines: [p], nodeId: "node-a", heartbeatMs: 100, leaseMs: 1000 });
    const b = h.make({ pipelines: [p] }); // a client on the same home; it runs nothing
    const settled: string[] = [];
    a.on("settled", (e) => settled.push(e.runId));
    const run = await b.submit(p, {});
    await started.promise;
    expect(signal?.aborted).toBe(false);

    const cancelledAt = Date.now();
    await b.cancel(run.id, "from b");
    await until(() => signal?.aborted, { timeoutMs: 2000, message: "A to abort the step" });
    // a couple of heartbeats (100 ms each), with room for a loaded machine
    expect(Date.now() - cancelledAt).toBeLessThan(1500);
    await until(() => settled.includes(run.id), { message: "A's execution to end" });

    const { run: final, steps, transitions } = await a.inspect(run.id);
    expect(final.status).toBe("cancelled");
    expect(steps).toEqual([]);
    expect(laterCalls).toBe(0);
    expect(transitions.at(-1)).toMatchObject({ to: "cancelled", reason: "from b" });
  });
});
