// Stopping a node: graceful waits for steps in flight and claims nothing new; forced aborts them
// and gives their runs back for another node.
import { describe, expect, it } from "vitest";
import { pipeline, step } from "../../src/index.js";
import {
  abortedPromise,
  describeTransitions,
  gate,
  sleep,
  stepStartWritten,
  useHarness,
} from "./helpers.js";

const h = useHarness();

/** A started node running a step that honours its signal: it ends as soon as it is aborted. */
async function runPoliteStep(name: string) {
  const started = gate();
  const s = step("s", async (ctx) => {
    started.open();
    await abortedPromise(ctx.signal);
    throw ctx.signal.reason;
  });
  const p = pipeline(name, [s]);
  const k = await h.start({ pipelines: [p] });
  const run = await k.submit(p, {});
  await started.promise;
  return { k, run };
}

describe("stop()", () => {
  it("graceful: waits for the step in flight to finish; the run succeeds", async () => {
    const started = gate();
    const release = gate();
    h.onCleanup(() => release.open());
    let signal: AbortSignal | undefined;
    const s = step("s", async (ctx) => {
      signal = ctx.signal;
      started.open();
      await release.promise;
      return "finished";
    });
    const p = pipeline("graceful", [s]);
    const k = await h.start({ pipelines: [p] });
    const nodeId = k.nodeId;
    const run = await k.submit(p, {});
    await started.promise;

    let stopped = false;
    const stopping = k.stop().then(() => {
      stopped = true;
    });
    await sleep(100);
    expect(stopped).toBe(false);
    release.open();
    await stopping;
    expect(signal?.aborted).toBe(false);

    const reader = h.make();
    const { run: final, steps } = await reader.inspect(run.id);
    expect(final.status).toBe("succeeded");
    expect(final.output).toEqual({ s: "finished" });
    expect(steps).toHaveLength(1);
    expect((await reader.store.listNodes()).find((n) => n.id === nodeId)?.state).toBe("offline");
  });

  it("graceful: claims nothing new while draining", async () => {
    const started = gate();
    const release = gate();
    h.onCleanup(() => release.open());
    const seen: number[] = [];
    const s = step("s", async (_c, i: { n: number }) => {
      seen.push(i.n);
      started.open();
      await release.promise;
      return i.n;
    });
    const p = pipeline("drain", [s]);
    const k = await h.start({ pipelines: [p], concurrency: 1 });
    const first = await k.submit(p, { n: 1 });
    await started.promise;
    const second = await k.submit(p, { n: 2 });
    const stopping = k.stop();
    release.open();
    await stopping;

    const reader = h.make();
    expect((await reader.get(first.id))?.status).toBe("succeeded");
    expect((await reader.get(second.id))?.status).toBe("pending");
    expect(seen).toEqual([1]);
  });

  it("forced: aborts the step in flight and gives the run back (node_stopping); a new node completes it", async () => {
    const started = gate();
    const never = gate();
    h.onCleanup(() => never.open());
    const signals: AbortSignal[] = [];
    let laterCalls = 0;
    const s = step("s", async (ctx) => {
      signals.push(ctx.signal);
      if (signals.length === 1) {
        started.open();
        // ignores its signal: a forced stop must not wait for it
        await never.promise;
      }
      return signals.length;
    });
    const later = step("later", { after: [s] }, (_c, d) => {
      laterCalls++;
      return d.s;
    });
    const p = pipeline("forced", [s, later]);
    const k = await h.start({ pipelines: [p] });
    const running = stepStartWritten(k, "s");
    const run = await k.submit(p, {});
    await started.promise;
    await running;

    await k.stop({ force: true });
    expect(signals[0]?.aborted).toBe(true);
    expect((signals[0]?.reason as { code?: string }).code).toBe("stopping");

    const next = h.make({ pipelines: [p] });
    const pending = await next.get(run.id);
    expect(pending).toMatchObject({ status: "pending", nodeId: null, attempts: 0 });
    const before = await next.inspect(run.id);
    expect(describeTransitions(before.transitions)).toEqual([
      "run:-->pending:submitted",
      "run:pending->running:claimed",
      "s:pending->running:started",
      "run:running->pending:node_stopping",
    ]);
    expect(before.steps).toEqual([]);
    expect(laterCalls).toBe(0);

    await next.start();
    const done = await next.wait(run.id, { timeoutMs: 5000 });
    expect(done.status).toBe("succeeded");
    expect(done.output).toEqual({ later: 2 });
    // an aborted attempt is not a failed one
    expect(done.attempts).toBe(0);
    expect(done.stepAttempts).toEqual({});
    const { steps } = await next.inspect(run.id);
    expect(Object.fromEntries(steps.map((r) => [r.step, r.nodeId]))).toEqual({
      s: next.nodeId,
      later: next.nodeId,
    });
  });

  it("forced: a step that honours its signal ends at once; the stop does not hang", async () => {
    const { k, run } = await runPoliteStep("forced-polite");
    const t0 = Date.now();
    await k.stop({ force: true });
    expect(Date.now() - t0).toBeLessThan(5000);
    const reader = h.make();
    const after = await reader.inspect(run.id);
    expect(after.run.status).toBe("pending");
    expect(after.transitions.at(-1)?.reason).toBe("node_stopping");
    expect(after.transitions.filter((t) => t.to === "failed")).toEqual([]);
  });

  it("forced while a graceful stop waits: aborts the step; both stops resolve together", async () => {
    const { k, run } = await runPoliteStep("hurried");
    let gracefulDone = false;
    const graceful = k.stop().then(() => (gracefulDone = true));
    await sleep(200);
    expect(gracefulDone).toBe(false);
    const t0 = Date.now();
    await k.stop({ force: true });
    expect(Date.now() - t0).toBeLessThan(2000);
    await graceful;
    expect(gracefulDone).toBe(true);
    const after = await h.make().get(run.id);
    expect(after).toMatchObject({ status: "pending", attempts: 0 });
  });

  it("is idempotent, works before start, and start() twice is refused", async () => {
    const p = pipeline("lifecycle", [step("s", () => 1)]);
    const never = h.make({ pipelines: [p] });
    await never.stop();
    await never.stop();
    const k = await h.start({ pipelines: [p] });
    await expect(k.start()).rejects.toMatchObject({ code: "already_started" });
    const run = await k.submit(p, {});
    expect((await k.wait(run.id, { timeoutMs: 5000 })).status).toBe("succeeded");
    await k.stop();
    await k.stop({ force: true });
  });

  it("stops with runs still queued and leaves them for the next node", async () => {
    const p = pipeline("queued", [step("s", (_c, i: { n: number }) => i.n)]);
    const k = h.make({ pipelines: [p] });
    const runs = await k.submitMany(p, [{ n: 1 }, { n: 2 }, { n: 3 }]);
    await k.stop();
    const next = await h.start({ pipelines: [p] });
    for (const r of runs)
      expect((await next.wait(r.id, { timeoutMs: 5000 })).status).toBe("succeeded");
  });
});
