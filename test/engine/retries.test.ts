// Failure handling: retries with backoff or a hinted delay, checkpoints surviving retries,
// quarantine (max attempts, permanent errors, bad output, odd throws) and step timeouts.
import { describe, expect, it } from "vitest";
import {
  PermanentError,
  TransientError,
  pipeline,
  step,
  type Keel,
  type Pipeline,
} from "../../src/index.js";
import { abortedPromise, describeTransitions, useHarness } from "./helpers.js";

const h = useHarness();

/** After a bad run the node must still serve: a one-step pipeline that must succeed. */
const healthy = pipeline("healthy", [step("ok", (_c, i: { n: number }) => ({ n: i.n }))]);

async function expectStillServing(k: Keel): Promise<void> {
  const run = await k.submit(healthy, { n: 42 });
  const done = await k.wait(run.id, { timeoutMs: 5000 });
  expect(done.status).toBe("succeeded");
  expect(done.output).toEqual({ ok: { n: 42 } });
}

describe("retries", () => {
  it("retries a step that fails twice, then succeeds; counts and records every failed attempt", async () => {
    let calls = 0;
    const flaky = step("flaky", (ctx) => {
      calls++;
      if (ctx.attempt <= 2) throw new Error(`boom ${ctx.attempt}`);
      return { attempt: ctx.attempt };
    });
    const p = pipeline("flaky", [flaky]);
    const k = await h.start({ pipelines: [p] });
    const run = await k.submit(p, {});
    const done = await k.wait(run.id, { timeoutMs: 5000 });

    expect(done.status).toBe("succeeded");
    expect(done.output).toEqual({ flaky: { attempt: 3 } });
    expect(calls).toBe(3);
    expect(done.attempts).toBe(2);
    expect(done.stepAttempts).toEqual({ flaky: 2 });

    const { steps, transitions } = await k.inspect(run.id);
    expect(steps).toHaveLength(1);
    expect(steps[0]).toMatchObject({ step: "flaky", attempt: 3 });
    expect(describeTransitions(transitions)).toEqual([
      "run:-->pending:submitted",
      "run:pending->running:claimed",
      "flaky:pending->running:started",
      "flaky:running->failed:error",
      "run:running->pending:retry_scheduled",
      "run:pending->running:claimed",
      "flaky:failed->running:started",
      "flaky:running->failed:error",
      "run:running->pending:retry_scheduled",
      "run:pending->running:claimed",
      "flaky:failed->running:started",
      "flaky:running->succeeded:checkpoint",
      "run:running->succeeded:completed",
    ]);
    const failures = transitions.filter((t) => t.to === "failed");
    expect(failures.map((t) => t.details)).toEqual([
      { attempt: 1, message: "boom 1" },
      { attempt: 2, message: "boom 2" },
    ]);
    // each claim bumps the lease epoch
    expect(
      transitions
        .filter((t) => t.reason === "claimed")
        .map((t) => (t.details as { epoch: number }).epoch),
    ).toEqual([1, 2, 3]);
    // the delay respects maxDelayMs (20)
    for (const t of transitions.filter((x) => x.reason === "retry_scheduled")) {
      const delay = (t.details as { scheduledFor: number }).scheduledFor - t.at;
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(20);
    }
  });

  it("honours TransientError's nextRetryDelayMs over the backoff", async () => {
    const hinted = step("hinted", (ctx) => {
      if (ctx.attempt === 1)
        throw new TransientError("rate limited", "rate_limited", { nextRetryDelayMs: 300 });
      return "ok";
    });
    const p = pipeline("hinted", [hinted]);
    const k = await h.start({ pipelines: [p] });
    const run = await k.submit(p, {});
    const done = await k.wait(run.id, { timeoutMs: 5000 });
    expect(done.status).toBe("succeeded");

    const { transitions } = await k.inspect(run.id);
    const failed = transitions.find((t) => t.to === "failed");
    expect(failed?.reason).toBe("rate_limited");
    const scheduled = transitions.find((t) => t.reason === "retry_scheduled");
    const scheduledFor = (scheduled?.details as { scheduledFor: number }).scheduledFor;
    expect(scheduledFor - (scheduled?.at ?? 0)).toBe(300);
    // not claimed again before it was due
    const reclaimed = transitions.filter((t) => t.reason === "claimed")[1];
    expect(reclaimed?.at).toBeGreaterThanOrEqual(scheduledFor);
  });

  it("never re-executes completed upstream steps when a downstream step is retried", async () => {
    const counts = { a: 0, b: 0, c: 0, d: 0 };
    const a = step("a", () => {
      counts.a++;
      return 1;
    });
    const b = step("b", { after: [a] }, (_c, d) => {
      counts.b++;
      return d.a + 1;
    });
    // c fails twice; b, a sibling branch, completes in the same rounds
    const c = step("c", { after: [a] }, (ctx, d) => {
      counts.c++;
      if (ctx.attempt < 3) throw new TransientError("not yet");
      return d.a + 2;
    });
    const d = step("d", { after: [b, c] }, (_c, x) => {
      counts.d++;
      return x.b + x.c;
    });
    const p = pipeline("upstream", [a, b, c, d]);
    const k = await h.start({ pipelines: [p] });
    const run = await k.submit(p, {});
    const done = await k.wait(run.id, { timeoutMs: 5000 });

    expect(done.status).toBe("succeeded");
    expect(done.output).toEqual({ d: 5 });
    expect(counts).toEqual({ a: 1, b: 1, c: 3, d: 1 });
    expect(done.stepAttempts).toEqual({ c: 2 });
    const { steps, transitions } = await k.inspect(run.id);
    expect(steps.map((s) => s.step).sort()).toEqual(["a", "b", "c", "d"]);
    expect(transitions.filter((t) => t.step === "a" && t.reason === "started")).toHaveLength(1);
  });
});

describe("quarantine", () => {
  it("quarantines with max_attempts once the attempts are used up, with the error", async () => {
    let calls = 0;
    const s = step("always", { retry: { maxAttempts: 3 } }, () => {
      calls++;
      throw new Error("still broken");
    });
    const p = pipeline("always-fails", [s]);
    const k = await h.start({ pipelines: [p, healthy] });
    const run = await k.submit(p, {});
    const done = await k.wait(run.id, { timeoutMs: 5000 });

    expect(done.status).toBe("quarantined");
    expect(done.quarantineReason).toBe("max_attempts");
    expect(done.error).toMatchObject({
      code: "error",
      message: "still broken",
      step: "always",
      retryable: true,
    });
    expect(done.error?.stack).toContain("still broken");
    expect(done.attempts).toBe(3);
    expect(done.finishedAt).not.toBeNull();
    expect(calls).toBe(3);
    const { steps, transitions } = await k.inspect(run.id);
    expect(steps).toEqual([]);
    expect(transitions.at(-1)).toMatchObject({
      step: null,
      from: "running",
      to: "quarantined",
      reason: "max_attempts",
      details: { code: "error", message: "still broken" },
    });
    expect(
      (await k.list({ status: "quarantined", quarantineReason: "max_attempts" })).runs.map(
        (r) => r.id,
      ),
    ).toEqual([run.id]);
    await expectStillServing(k);
  });

  it("uses the pipeline's and the step's retry policy over the node's", async () => {
    let calls = 0;
    const s = step("once", () => {
      calls++;
      throw new Error("x");
    });
    const p = pipeline("pipeline-policy", [s], { retry: { maxAttempts: 2 } });
    const k = await h.start({ pipelines: [p] });
    const done = await k.wait((await k.submit(p, {})).id, { timeoutMs: 5000 });
    expect(done.quarantineReason).toBe("max_attempts");
    expect(calls).toBe(2);
  });

  it('quarantines a PermanentError("bad", "validation") as permanent:validation after exactly one attempt', async () => {
    let calls = 0;
    const s = step("validate", () => {
      calls++;
      throw new PermanentError("bad", "validation");
    });
    const p = pipeline("permanent", [s]);
    const k = await h.start({ pipelines: [p, healthy] });
    const run = await k.submit(p, {});
    const done = await k.wait(run.id, { timeoutMs: 5000 });

    expect(done.status).toBe("quarantined");
    expect(done.quarantineReason).toBe("permanent:validation");
    expect(done.error).toMatchObject({
      code: "validation",
      message: "bad",
      step: "validate",
      retryable: false,
    });
    expect(done.attempts).toBe(1);
    expect(calls).toBe(1);
    await expectStillServing(k);
  });

  const badOutputs: [string, () => unknown, RegExp][] = [
    ["a function", () => ({ ok: 1, fn: () => 1 }), /a function at \$\.fn/],
    ["a BigInt", () => ({ nested: { n: 10n } }), /a BigInt.* at \$\.nested\.n/],
    [
      "a circular object",
      () => {
        const o: Record<string, unknown> = { list: [] };
        (o.list as unknown[]).push(o);
        return o;
      },
      /a circular reference at \$\.list\[0\]/,
    ],
    ["a Map", () => ({ m: new Map([["k", 1]]) }), /a Map .* at \$\.m/],
  ];

  for (const [what, make, message] of badOutputs) {
    it(`quarantines a step returning ${what} as bad_output, naming the path`, async () => {
      let calls = 0;
      const downstream: string[] = [];
      const s = step("emit", () => {
        calls++;
        return make();
      });
      const next = step("next", { after: [s] }, () => {
        downstream.push("next");
        return 1;
      });
      const p = pipeline("bad-output", [s, next]);
      const k = await h.start({ pipelines: [p, healthy] });
      const run = await k.submit(p, {});
      const done = await k.wait(run.id, { timeoutMs: 5000 });

      expect(done.status).toBe("quarantined");
      expect(done.quarantineReason).toBe("bad_output");
      expect(done.error?.code).toBe("bad_output");
      expect(done.error?.step).toBe("emit");
      expect(done.error?.message).toMatch(/step "emit" returned output that cannot be stored/);
      expect(done.error?.message).toMatch(message);
      expect(calls).toBe(1);
      expect(downstream).toEqual([]);
      expect((await k.inspect(run.id)).steps).toEqual([]);
      await expectStillServing(k);
    });
  }

  const oddThrows: [string, () => unknown, RegExp][] = [
    ["a string", () => "just a string", /non-Error value: "just a string"/],
    ["undefined", () => undefined, /non-Error value: undefined/],
    [
      "a plain object",
      () => ({ status: 503, detail: "down" }),
      /non-Error value: \{"status":503,"detail":"down"\}/,
    ],
    [
      "a circular object",
      () => {
        const o: Record<string, unknown> = {};
        o.self = o;
        return o;
      },
      /non-Error value: \[object Object\]/,
    ],
    ["null", () => null, /non-Error value: null/],
  ];

  for (const [what, value, message] of oddThrows) {
    it(`handles a step that throws ${what}: retried, then quarantined with a readable error`, async () => {
      let calls = 0;
      const s = step("thrower", { retry: { maxAttempts: 2 } }, () => {
        calls++;
        throw value();
      });
      const p = pipeline("odd-throw", [s]);
      const k = await h.start({ pipelines: [p, healthy] });
      const run = await k.submit(p, {});
      const done = await k.wait(run.id, { timeoutMs: 5000 });

      expect(done.status).toBe("quarantined");
      expect(done.quarantineReason).toBe("max_attempts");
      expect(done.error?.code).toBe("non_error_thrown");
      expect(done.error?.step).toBe("thrower");
      expect(done.error?.message).toMatch(message);
      expect(calls).toBe(2);
      expect(done.attempts).toBe(2);
      const { transitions } = await k.inspect(run.id);
      expect(transitions.filter((t) => t.to === "failed").map((t) => t.reason)).toEqual([
        "non_error_thrown",
        "non_error_thrown",
      ]);
      await expectStillServing(k);
    });
  }

  it("handles a step whose promise rejects with a non-Error", async () => {
    const s = step("rejecter", { retry: { maxAttempts: 1 } }, () => Promise.reject(42));
    const p = pipeline("odd-reject", [s]);
    const k = await h.start({ pipelines: [p, healthy] });
    const done = await k.wait((await k.submit(p, {})).id, { timeoutMs: 5000 });
    expect(done.status).toBe("quarantined");
    expect(done.error).toMatchObject({
      code: "non_error_thrown",
      message: "a step threw a non-Error value: 42",
    });
    await expectStillServing(k);
  });

  it("keeps serving across a series of bad runs on one node", async () => {
    const bad: Pipeline[] = [
      pipeline("b1", [step("s", () => ({ f: () => 1 }))]),
      pipeline("b2", [step("s", { retry: { maxAttempts: 1 } }, () => Promise.reject(undefined))]),
      pipeline("b3", [
        step("s", () => {
          throw new PermanentError("no", "parse_error");
        }),
      ]),
    ];
    const k = await h.start({ pipelines: [...bad, healthy] });
    for (const p of bad) {
      const done = await k.wait((await k.submit(p, {})).id, { timeoutMs: 5000 });
      expect(done.status).toBe("quarantined");
      await expectStillServing(k);
    }
  });
});

describe("timeouts", () => {
  it("fails an attempt that runs past its timeout with code timeout, aborts its signal, and quarantines as timeout", async () => {
    const signals: AbortSignal[] = [];
    const hang = step("hang", { timeout: 50, retry: { maxAttempts: 2 } }, (ctx) => {
      signals.push(ctx.signal);
      // never resolves, ignores its signal
      return new Promise<never>(() => undefined);
    });
    const p = pipeline("hangs", [hang]);
    const k = await h.start({ pipelines: [p, healthy] });
    const run = await k.submit(p, {});
    const done = await k.wait(run.id, { timeoutMs: 5000 });

    expect(done.status).toBe("quarantined");
    expect(done.quarantineReason).toBe("timeout");
    expect(done.error).toMatchObject({
      code: "timeout",
      step: "hang",
      message: 'step "hang" timed out after 50 ms',
    });
    expect(done.attempts).toBe(2);
    expect(signals).toHaveLength(2);
    for (const signal of signals) {
      expect(signal.aborted).toBe(true);
      expect((signal.reason as { code?: string }).code).toBe("timeout");
    }
    const { transitions } = await k.inspect(run.id);
    expect(transitions.filter((t) => t.to === "failed").map((t) => t.reason)).toEqual([
      "timeout",
      "timeout",
    ]);
    await expectStillServing(k);
  });

  it("lets a step that honours its signal end early, and uses the pipeline's timeout when the step has none", async () => {
    let sawAbort = false;
    const hang = step("hang", async (ctx) => {
      await abortedPromise(ctx.signal);
      sawAbort = true;
      return "too late";
    });
    const p = pipeline("pipeline-timeout", [hang], { timeout: 50, retry: { maxAttempts: 1 } });
    const k = await h.start({ pipelines: [p] });
    const done = await k.wait((await k.submit(p, {})).id, { timeoutMs: 5000 });
    expect(done.status).toBe("quarantined");
    expect(done.quarantineReason).toBe("timeout");
    expect(sawAbort).toBe(true);
  });

  it("a timed-out attempt followed by a quick one succeeds", async () => {
    const slowOnce = step("slow-once", { timeout: 50 }, async (ctx) => {
      if (ctx.attempt === 1) await abortedPromise(ctx.signal);
      return ctx.attempt;
    });
    const p = pipeline("timeout-then-ok", [slowOnce]);
    const k = await h.start({ pipelines: [p] });
    const done = await k.wait((await k.submit(p, {})).id, { timeoutMs: 5000 });
    expect(done.status).toBe("succeeded");
    expect(done.output).toEqual({ "slow-once": 2 });
    expect(done.stepAttempts).toEqual({ "slow-once": 1 });
  });
});
