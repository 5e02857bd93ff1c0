// Breakers against a real dependency: an HTTP server on 127.0.0.1 that the embed step calls,
// stopped and started again. While it is down, runs are deferred (no attempt spent) or served by
// a fallback (a degraded checkpoint); when it returns, the probe (or a trial after the backoff)
// brings every run back, each checkpoint recorded once. Two nodes on one store share the breaker.
import { describe, expect, it } from "vitest";
import {
  PermanentError,
  pipeline,
  step,
  type BreakerOptions,
  type Keel,
  type RunRecord,
} from "../../src/index.js";
import { startDependency, type Dependency } from "./dependency-server.js";
import { describeTransitions, sleep, until, useHarness } from "./helpers.js";

const h = useHarness();

/** Room to retry while the breaker has not opened yet: no run may reach the quarantine. */
const patientRetry = { maxAttempts: 50, baseDelayMs: 5, maxDelayMs: 20 } as const;

type Counts = { prep: number; embed: number; store: number };

function embedPipeline(name: string, dep: Dependency, counts: Counts, withFallback = false) {
  const prep = step("prep", (_ctx, input: { doc: string }) => {
    counts.prep++;
    return { text: input.doc };
  });
  const embed = step(
    "embed",
    {
      after: [prep],
      uses: ["dep"],
      ...(withFallback
        ? { fallback: (_ctx, _deps, cause) => ({ vector: [] as number[], from: cause.message }) }
        : {}),
    },
    async (ctx, deps) => {
      counts.embed++;
      const answer = await dep.call(`/embed/${ctx.runId}`, ctx.signal);
      return { vector: [deps.prep.text.length], from: answer.path };
    },
  );
  const store = step("store", { after: [embed] }, (_ctx, deps) => {
    counts.store++;
    return { stored: deps.embed.vector.length };
  });
  return pipeline(name, [prep, embed, store]);
}

async function withDependency(): Promise<Dependency> {
  const dep = await startDependency();
  h.onCleanup(() => void dep.down());
  return dep;
}

function probing(dep: Dependency, extra: BreakerOptions = {}): BreakerOptions {
  return {
    failureThreshold: 3,
    halfOpenRequests: 2,
    probe: async (signal) => {
      await dep.call("/health", signal);
    },
    probeIntervalMs: 50,
    ...extra,
  };
}

async function breaker(k: Keel, name = "dep") {
  return (await k.breakers.list()).find((b) => b.name === name);
}

/** Every run pending, its last run transition a deferral by the breaker. */
async function allDeferred(k: Keel, runs: RunRecord[]): Promise<boolean> {
  for (const run of runs) {
    const { run: now, transitions } = await k.inspect(run.id);
    const last = transitions.filter((t) => t.step === null).at(-1);
    if (now.status !== "pending" || last?.reason !== "breaker_open:dep") return false;
  }
  return true;
}

/** Every run succeeded with each of its three checkpoints recorded once, none degraded. */
async function expectAllDoneOnce(k: Keel, runs: RunRecord[]): Promise<void> {
  for (const run of runs) {
    expect((await k.wait(run.id, { timeoutMs: 15_000 })).status).toBe("succeeded");
    const { steps, transitions } = await k.inspect(run.id);
    expect(steps.map((s) => [s.step, s.degraded])).toEqual([
      ["prep", false],
      ["embed", false],
      ["store", false],
    ]);
    const checkpoints = transitions.filter((t) => t.step !== null && t.to === "succeeded");
    expect(checkpoints.map((t) => t.step).sort()).toEqual(["embed", "prep", "store"]);
  }
}

describe("breakers", () => {
  it("defers runs while the dependency is down, spends no attempt, and the probe brings them back", async () => {
    const dep = await withDependency();
    const counts: Counts = { prep: 0, embed: 0, store: 0 };
    const p = embedPipeline("embed-probe", dep, counts);
    const k = await h.start({
      pipelines: [p],
      retry: patientRetry,
      breakers: { dep: probing(dep) },
    });
    const warm = await k.submit(p, { doc: "warm" });
    expect((await k.wait(warm.id, { timeoutMs: 5000 })).status).toBe("succeeded");

    await dep.down();
    const runs = await Promise.all(
      Array.from({ length: 8 }, (_, i) => k.submit(p, { doc: `d${i}` })),
    );
    await until(() => allDeferred(k, runs), { timeoutMs: 10_000, message: "all runs deferred" });
    expect(await breaker(k)).toMatchObject({ state: "open", probe: true });
    const attempts = await Promise.all(runs.map(async (r) => (await k.get(r.id))?.attempts));
    const calls = counts.embed;
    // waiting for the breaker costs nothing: no attempt, no call to the dependency
    await sleep(400);
    expect(await Promise.all(runs.map(async (r) => (await k.get(r.id))?.attempts))).toEqual(
      attempts,
    );
    expect(counts.embed).toBe(calls);
    expect(Math.max(...attempts.map((a) => a ?? 0))).toBeLessThan(patientRetry.maxAttempts);

    const back = Date.now();
    await dep.up();
    await until(async () => (await breaker(k))?.state === "closed", { message: "closed" });
    const recoveryMs = Date.now() - back;
    await expectAllDoneOnce(k, runs);
    expect(recoveryMs).toBeLessThan(5000);
    expect(counts.prep).toBe(runs.length + 1);
    expect(counts.store).toBe(runs.length + 1);
    const history = (await breaker(k))?.history ?? [];
    expect(history.map((t) => `${t.from}->${t.to}:${t.reason}`).reverse()).toEqual([
      "closed->open:failure_threshold",
      "open->half_open:probe_succeeded",
      "half_open->closed:trials_succeeded",
    ]);
  });

  it("without a probe, lets a trial through after a backoff, and a good trial closes it", async () => {
    const dep = await withDependency();
    const counts: Counts = { prep: 0, embed: 0, store: 0 };
    const p = embedPipeline("embed-backoff", dep, counts);
    const k = await h.start({
      pipelines: [p],
      retry: patientRetry,
      breakers: { dep: { failureThreshold: 2, recoveryTimeoutMs: 300, halfOpenRequests: 1 } },
    });
    await dep.down();
    const runs = await Promise.all(
      Array.from({ length: 4 }, (_, i) => k.submit(p, { doc: `d${i}` })),
    );
    // a trial while it is still down fails and opens it again
    await until(async () => (await breaker(k))?.history.some((t) => t.reason === "trial_failed"), {
      timeoutMs: 10_000,
      message: "a failed trial",
    });
    await dep.up();
    await expectAllDoneOnce(k, runs);
    const reasons = ((await breaker(k))?.history ?? []).map((t) => t.reason);
    expect(reasons[0]).toBe("trials_succeeded");
    expect(reasons).toContain("backoff_elapsed");
  });

  it("serves the fallback while tripped, marks it degraded, and redoes it on request", async () => {
    const dep = await withDependency();
    const counts: Counts = { prep: 0, embed: 0, store: 0 };
    const p = embedPipeline("embed-fallback", dep, counts, true);
    const k = await h.start({ pipelines: [p], breakers: { dep: {} } });
    const tripped = await k.breakers.trip("dep", { reason: "vendor outage", actor: "tester" });
    expect(tripped.breaker).toMatchObject({ state: "open", manual: true });

    const run = await k.submit(p, { doc: "hello" });
    const done = await k.wait(run.id, { timeoutMs: 5000 });
    expect(done.status).toBe("succeeded");
    expect(done.output).toEqual({ store: { stored: 0 } });
    expect(counts.embed).toBe(0);
    const first = await k.inspect(run.id);
    expect(first.steps.map((s) => [s.step, s.degraded])).toEqual([
      ["prep", false],
      ["embed", true],
      ["store", false],
    ]);
    expect(first.steps[1]?.output).toMatchObject({ from: expect.stringMatching(/breaker "dep"/) });
    expect(describeTransitions(first.transitions)).toContain("embed:running->succeeded:fallback");
    expect(first.transitions.find((t) => t.reason === "fallback")?.details).toMatchObject({
      degraded: true,
      cause: "breaker_open",
    });

    await k.breakers.reset("dep", { note: "vendor back", actor: "tester" });
    const retried = await k.retry(run.id, { note: "vendor back", redoDegraded: true });
    expect(retried.cleared).toEqual(["embed", "store"]);
    const redone = await k.wait(run.id, { timeoutMs: 5000 });
    expect(redone.output).toEqual({ store: { stored: 1 } });
    const second = await k.inspect(run.id);
    expect(second.steps.every((s) => !s.degraded)).toBe(true);
    expect(counts).toEqual({ prep: 1, embed: 1, store: 2 });
    const audit = await k.audit({ limit: 10 });
    expect(audit.entries.map((e) => [e.action, e.target])).toEqual([
      ["run.retry", run.id],
      ["breaker.reset", "dep"],
      ["breaker.trip", "dep"],
    ]);
    // nothing degraded is left to redo
    await expect(k.retry(run.id, { note: "again", redoDegraded: true })).rejects.toMatchObject({
      code: "invalid_input",
    });
  });

  it("serves the fallback once retries run out, instead of the quarantine", async () => {
    const dep = await withDependency();
    const counts: Counts = { prep: 0, embed: 0, store: 0 };
    const p = embedPipeline("embed-exhausted", dep, counts, true);
    const k = await h.start({
      pipelines: [p],
      retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 20 },
      breakers: { dep: { failureThreshold: 100 } },
    });
    await dep.down();
    const run = await k.submit(p, { doc: "hello" });
    const done = await k.wait(run.id, { timeoutMs: 5000 });
    expect(done.status).toBe("succeeded");
    expect(done.attempts).toBe(2);
    const { steps, transitions } = await k.inspect(run.id);
    expect(steps.find((s) => s.step === "embed")?.degraded).toBe(true);
    expect(transitions.find((t) => t.reason === "fallback")?.details).toMatchObject({
      cause: "max_attempts:econnrefused",
    });
    // the two failures counted against the breaker; it stays closed under its threshold
    expect(await breaker(k)).toMatchObject({ state: "closed", failures: 2 });
  });

  it("an outage longer than every attempt quarantines nothing: failed trials spend no attempt", async () => {
    const dep = await withDependency();
    // the dependency answers, but 503: the outage of docs/operator-guide.md#a-dependency-is-down
    dep.answer(503);
    const counts: Counts = { prep: 0, embed: 0, store: 0 };
    const p = embedPipeline("embed-outage", dep, counts);
    const k = await h.start({
      pipelines: [p],
      retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 20 },
      breakers: { dep: { failureThreshold: 2, recoveryTimeoutMs: 150, halfOpenRequests: 1 } },
    });
    const runs = await Promise.all(
      Array.from({ length: 3 }, (_, i) => k.submit(p, { doc: `d${i}` })),
    );
    // two attempts with retry delays of at most 20 ms would be spent in well under a second; the
    // outage lasts for many failed calls, each one a request the dependency answers with a 503
    const anyQuarantined = async () => (await k.list({ status: "quarantined" })).runs.length > 0;
    await until(async () => counts.embed >= 10 || (await anyQuarantined()), {
      timeoutMs: 20_000,
      message: "ten failed calls",
    });
    const during = await Promise.all(runs.map((r) => k.get(r.id)));
    expect(during.map((r) => r?.status)).not.toContain("quarantined");
    for (const run of during) expect(run?.stepAttempts.embed ?? 0).toBeLessThan(2);
    // the reason says what the dependency answered, not only the error's code
    const open = await until(async () => {
      const b = await breaker(k);
      return b?.state === "open" ? b : undefined;
    });
    expect(open.reason).toMatch(/dependency answered 503/);
    const failedTrial = open.history.find((t) => t.reason === "trial_failed");
    expect(JSON.stringify(failedTrial?.details)).toMatch(/dependency answered 503/);

    dep.answer(null);
    await expectAllDoneOnce(k, runs);
    const quarantined = await k.list({ status: "quarantined" });
    expect(quarantined.runs).toEqual([]);
  });

  it("does not count a permanent error against the breaker", async () => {
    const bad = step("bad", { uses: ["dep"] }, () => {
      throw new PermanentError("unreadable document", "parse_error");
    });
    const p = pipeline("embed-permanent", [bad]);
    const k = await h.start({ pipelines: [p], breakers: { dep: { failureThreshold: 1 } } });
    const run = await k.submit(p, {});
    expect((await k.wait(run.id, { timeoutMs: 5000 })).quarantineReason).toBe(
      "permanent:parse_error",
    );
    expect(await breaker(k)).toMatchObject({ state: "closed", failures: 0 });
  });

  it("two nodes on one store share the breaker: one opens it, the other defers for it", async () => {
    const dep = await withDependency();
    const counts: Counts = { prep: 0, embed: 0, store: 0 };
    const shared = embedPipeline("embed-shared", dep, counts);
    const onlyB = embedPipeline("embed-only-b", dep, counts);
    // A probes; B has no probe and a long recovery timeout: alone, it would wait a minute
    const a = await h.start({
      pipelines: [shared],
      retry: patientRetry,
      breakers: { dep: probing(dep) },
    });
    const b = await h.start({
      pipelines: [shared, onlyB],
      retry: patientRetry,
      breakers: { dep: { failureThreshold: 3, halfOpenRequests: 2 } },
    });
    await dep.down();
    const runs = await Promise.all(
      Array.from({ length: 6 }, (_, i) => a.submit(shared, { doc: `d${i}` })),
    );
    await until(() => allDeferred(a, runs), { timeoutMs: 10_000, message: "shared runs deferred" });
    // a run only B can execute: B defers it for the breaker it never saw fail itself
    const bRun = await b.submit(onlyB, { doc: "b" });
    await until(() => allDeferred(b, [bRun]), { message: "B deferred its run" });
    const deferral = (await b.inspect(bRun.id)).transitions.at(-1);
    expect(deferral?.actor).toBe(b.nodeId);

    await dep.up();
    await expectAllDoneOnce(a, [...runs, bRun]);
    const history = (await breaker(b))?.history ?? [];
    expect(history.filter((t) => t.to === "open")).toHaveLength(1);
    expect(history.at(-1)?.reason).toBe("failure_threshold");
  });
});
