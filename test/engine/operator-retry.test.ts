// An operator's retry: a quarantined run resumes after its checkpoints once the cause is fixed;
// `fromStep` runs that step and everything downstream again, never upstream. Side-effect counters
// show which steps ran.
import { describe, expect, it } from "vitest";
import { KeelError, PermanentError, pipeline, step } from "../../src/index.js";
import { describeTransitions, gate, useHarness } from "./helpers.js";

const h = useHarness();

/** fetch -> parse -> store; parse fails for good while `broken.value` is true. */
function importPipeline(name: string, broken: { value: boolean }) {
  const ran: Record<string, number> = { fetch: 0, parse: 0, store: 0 };
  const fetchStep = step("fetch", (_ctx, input: { n: number }) => {
    ran.fetch = (ran.fetch ?? 0) + 1;
    return { n: input.n };
  });
  const parse = step("parse", { after: [fetchStep] }, (_ctx, deps) => {
    ran.parse = (ran.parse ?? 0) + 1;
    if (broken.value) throw new PermanentError("unexpected token", "parse_error");
    return { n: deps.fetch.n * 10 };
  });
  const storeStep = step("store", { after: [parse] }, (_ctx, deps) => {
    ran.store = (ran.store ?? 0) + 1;
    return { stored: deps.parse.n };
  });
  return { p: pipeline(name, [fetchStep, parse, storeStep]), ran };
}

describe("retry of a quarantined run", () => {
  it("completes after the fix, skipping its checkpointed upstream steps", async () => {
    const broken = { value: true };
    const { p, ran } = importPipeline("retry-import", broken);
    const k = await h.start({ pipelines: [p] });
    const run = await k.submit(p, { n: 4 });
    const quarantined = await k.wait(run.id, { timeoutMs: 5000 });
    expect(quarantined).toMatchObject({
      status: "quarantined",
      quarantineReason: "permanent:parse_error",
    });
    expect(ran).toEqual({ fetch: 1, parse: 1, store: 0 });

    broken.value = false;
    const result = await k.retry(run.id, { note: "parser fixed", actor: "cli:alice" });
    expect(result).toMatchObject({ from: "quarantined", cleared: [] });
    const done = await k.wait(run.id, { timeoutMs: 5000 });
    expect(done).toMatchObject({ status: "succeeded", output: { store: { stored: 40 } } });
    expect(done.quarantineReason).toBeNull();
    expect(done.error).toBeNull();
    expect(ran).toEqual({ fetch: 1, parse: 2, store: 1 });

    const { steps, transitions } = await k.inspect(run.id);
    expect(steps.map((s) => [s.step, s.attempt])).toEqual([
      ["fetch", 1],
      ["parse", 1],
      ["store", 1],
    ]);
    const trail = describeTransitions(transitions);
    const retriedAt = trail.indexOf("run:quarantined->pending:operator_retry");
    expect(retriedAt).toBeGreaterThan(0);
    expect(trail.slice(retriedAt)).toEqual([
      "run:quarantined->pending:operator_retry",
      "parse:failed->pending:operator_retry",
      "run:pending->running:claimed",
      "parse:pending->running:started",
      "parse:running->succeeded:checkpoint",
      "store:pending->running:started",
      "store:running->succeeded:checkpoint",
      "run:running->succeeded:completed",
    ]);
    expect((await k.audit()).entries).toMatchObject([
      { action: "run.retry", target: run.id, actor: "cli:alice", reason: "parser fixed" },
    ]);
  });

  it("starts a step that ran out of attempts over at attempt 1", async () => {
    let failing = true;
    const attempts: number[] = [];
    const flaky = step("flaky", { retry: { maxAttempts: 2 } }, (ctx) => {
      attempts.push(ctx.attempt);
      if (failing) throw new Error("dependency down");
      return "ok";
    });
    const p = pipeline("retry-attempts", [flaky]);
    const k = await h.start({ pipelines: [p] });
    const run = await k.submit(p, {});
    expect(await k.wait(run.id, { timeoutMs: 5000 })).toMatchObject({
      status: "quarantined",
      quarantineReason: "max_attempts",
      stepAttempts: { flaky: 2 },
    });
    failing = false;
    await k.retry(run.id, { note: "dependency back up" });
    const done = await k.wait(run.id, { timeoutMs: 5000 });
    expect(done.status).toBe("succeeded");
    expect(done.stepAttempts).toEqual({});
    expect(done.attempts).toBe(2); // the failed attempts of the past stay counted
    expect(attempts).toEqual([1, 2, 1]);
  });

  it("retries a cancelled run", async () => {
    const { p, ran } = importPipeline("retry-cancelled", { value: false });
    const k = h.make({ pipelines: [p] });
    const run = await k.submit(p, { n: 1 });
    await k.cancel(run.id, "paused by hand", "cli:bob");
    await k.retry(run.id, { note: "go ahead after all" });
    await k.start();
    expect((await k.wait(run.id, { timeoutMs: 5000 })).status).toBe("succeeded");
    expect(ran).toEqual({ fetch: 1, parse: 1, store: 1 });
    expect((await k.audit()).entries.map((e) => e.action)).toEqual(["run.retry", "run.cancel"]);
  });
});

describe("retry from a step", () => {
  // a -> b -> d and a -> c -> d: from b clears b and d, keeps a and c
  function diamond(name: string) {
    const ran: Record<string, number> = {};
    let generation = 0;
    const count = (s: string) => (ran[s] = (ran[s] ?? 0) + 1);
    const a = step("a", () => (count("a"), 1));
    const b = step("b", { after: [a] }, () => (count("b"), `b${generation}`));
    const c = step("c", { after: [a] }, () => (count("c"), "c"));
    const d = step("d", { after: [b, c] }, (_ctx, deps) => (count("d"), `${deps.b}+${deps.c}`));
    return { p: pipeline(name, [a, b, c, d]), ran, next: () => (generation += 1) };
  }

  it("re-runs that step and everything downstream only", async () => {
    const { p, ran, next } = diamond("retry-from-step");
    const k = await h.start({ pipelines: [p] });
    const run = await k.submit(p, {});
    expect((await k.wait(run.id, { timeoutMs: 5000 })).output).toEqual({ d: "b0+c" });
    next();
    const result = await k.retry(run.id, { fromStep: "b", note: "b's model updated" });
    expect(result).toMatchObject({ from: "succeeded", cleared: ["b", "d"] });
    const done = await k.wait(run.id, { timeoutMs: 5000 });
    expect(done).toMatchObject({ status: "succeeded", output: { d: "b1+c" } });
    expect(ran).toEqual({ a: 1, b: 2, c: 1, d: 2 });
    const trail = describeTransitions((await k.inspect(run.id)).transitions);
    expect(trail).toContain("b:succeeded->pending:cleared");
    expect(trail).toContain("d:succeeded->pending:cleared");
    expect(trail).not.toContain("a:succeeded->pending:cleared");
  });

  it("computes downstream from the store's pipeline record when the pipeline is not registered here", async () => {
    const { p, ran } = diamond("retry-from-store");
    const node = await h.start({ pipelines: [p] });
    const client = h.make(); // knows no pipeline: reads the steps a node stored
    const run = await client.submit("retry-from-store", {});
    await node.wait(run.id, { timeoutMs: 5000 });
    const result = await client.retry(run.id, { fromStep: "c", note: "rerun c" });
    expect(result.cleared).toEqual(["c", "d"]);
    expect((await node.wait(run.id, { timeoutMs: 5000 })).status).toBe("succeeded");
    expect(ran).toEqual({ a: 1, b: 1, c: 2, d: 2 });
  });

  it("refuses a step the pipeline does not have, naming its steps; nothing changes", async () => {
    const { p } = diamond("retry-bad-step");
    const k = await h.start({ pipelines: [p] });
    const run = await k.submit(p, {});
    const before = await k.wait(run.id, { timeoutMs: 5000 });
    await expect(k.retry(run.id, { fromStep: "z", note: "x" })).rejects.toMatchObject({
      code: "invalid_input",
      message: 'pipeline "retry-bad-step" has no step "z"; its steps are: a, b, c, d',
    });
    await expect(k.retry(run.id, { note: "nothing to clear" })).rejects.toMatchObject({
      code: "invalid_input",
      message: expect.stringMatching(/succeeded, so there is nothing to resume/),
    });
    expect(await k.get(run.id)).toEqual(before);
    expect((await k.audit()).entries).toEqual([]);
  });

  it("names the pipeline when no definition of it is known anywhere", async () => {
    const { p } = diamond("retry-unknown-pipeline");
    const submitter = h.make({ pipelines: [p] }); // never started: registers nothing in the store
    const run = await submitter.submit(p, {});
    await submitter.cancel(run.id, "hold");
    const client = h.make();
    await expect(client.retry(run.id, { fromStep: "b", note: "x" })).rejects.toMatchObject({
      code: "unknown_pipeline",
    });
    expect((await client.get(run.id))?.status).toBe("cancelled");
  });
});

describe("retry refusals", () => {
  it("needs a note", async () => {
    const { p } = importPipeline("retry-note", { value: true });
    const k = await h.start({ pipelines: [p] });
    const run = await k.submit(p, { n: 1 });
    await k.wait(run.id, { timeoutMs: 5000 });
    for (const note of [undefined, "", "  "]) {
      await expect(k.retry(run.id, { note: note as unknown as string })).rejects.toMatchObject({
        code: "invalid_input",
        details: { field: "note" },
      });
    }
    expect((await k.get(run.id))?.status).toBe("quarantined");
  });

  it("refuses a running run and says what to do; nothing changes", async () => {
    const started = gate();
    const release = gate();
    h.onCleanup(() => release.open());
    const slow = step("slow", async () => {
      started.open();
      await release.promise;
      return 1;
    });
    const p = pipeline("retry-running", [slow]);
    const k = await h.start({ pipelines: [p] });
    const run = await k.submit(p, {});
    await started.promise;
    const error = await k.retry(run.id, { fromStep: "slow", note: "x" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeelError);
    expect(error).toMatchObject({ code: "illegal_transition" });
    expect((error as Error).message).toMatch(/running.*cancel it first/);
    release.open();
    expect((await k.wait(run.id, { timeoutMs: 5000 })).status).toBe("succeeded");
    expect((await k.audit()).entries).toEqual([]);
  });
});
