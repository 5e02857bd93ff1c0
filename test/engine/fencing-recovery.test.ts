// Two nodes on one store: a node that lost its lease can write nothing more (fencing), and runs of
// dead or silent nodes come back and are completed by a live one (recovery).
import { spawnSync } from "node:child_process";
import { hostname } from "node:os";
import pino from "pino";
import { describe, expect, it, vi } from "vitest";
import { LeaseLostError } from "../../src/core/errors/run-errors.js";
import { pipeline, step, type Keel } from "../../src/index.js";
import {
  claimAsNode,
  describeTransitions,
  gate,
  stepStartWritten,
  until,
  useHarness,
} from "./helpers.js";

const h = useHarness();

/** Quiet nodes: leases and heartbeats far longer than a test, so only what the test does happens. */
const slowLiveness = { leaseMs: 60_000, heartbeatMs: 30_000, pollMs: 30_000 } as const;

function settledOn(k: Keel, runId: string): Promise<void> {
  return new Promise((resolve) => {
    const on = (e: { runId: string }): void => {
      if (e.runId === runId) {
        k.off("settled", on);
        resolve();
      }
    };
    k.on("settled", on);
  });
}

describe("fencing", () => {
  for (const shape of ["single step", "step before another"] as const) {
    it(`rejects the completion of a node whose lease was taken over (${shape})`, async () => {
      const aStarted = gate();
      const releaseA = gate();
      h.onCleanup(() => releaseA.open());
      const calls: string[] = [];
      let nextCalls = 0;
      const work = step("work", async (ctx) => {
        const first = calls.length === 0;
        calls.push(ctx.runId);
        if (first) {
          // node A's execution: blocks, and ignores its signal, like a step stuck in I/O
          aStarted.open();
          await releaseA.promise;
          return { by: "A" };
        }
        return { by: "B" };
      });
      const steps =
        shape === "single step"
          ? [work]
          : [work, step("next", { after: [work] }, (_c, d) => (nextCalls++, d.work))];
      const p = pipeline("fenced", steps);

      // A takes one run at a time, so it does not claim the run back itself
      const a = await h.start({
        pipelines: [p],
        nodeId: "node-a",
        concurrency: 1,
        ...slowLiveness,
      });
      const completeA = vi.spyOn(a.store, "completeStep");
      const aRunning = stepStartWritten(a, "work");
      const run = await a.submit(p, {});
      await aStarted.promise;
      await aRunning;
      const aDone = settledOn(a, run.id);

      // the lease is taken over: A's runs go back to pending, B claims the run and completes it
      const released = await a.store.releaseNodeRuns("node-a", "test", Date.now());
      expect(released).toEqual([run.id]);
      const b = await h.start({ pipelines: [p], nodeId: "node-b", ...slowLiveness });
      const byB = await b.wait(run.id, { timeoutMs: 5000 });
      expect(byB.status).toBe("succeeded");
      expect(byB.output).toEqual(
        shape === "single step" ? { work: { by: "B" } } : { next: { by: "B" } },
      );

      // now A's step finishes: its write must be refused, and must change nothing
      releaseA.open();
      await aDone;
      expect(completeA).toHaveBeenCalledTimes(1);
      const [attempt] = completeA.mock.settledResults;
      expect(attempt?.type).toBe("rejected");
      expect(attempt?.value).toBeInstanceOf(LeaseLostError);
      expect(attempt?.value).toMatchObject({
        code: "lease_lost",
        details: { runId: run.id, epoch: 1 },
      });

      const { run: final, steps: results, transitions } = await b.inspect(run.id);
      expect(final.status).toBe("succeeded");
      expect(final.output).toEqual(byB.output);
      const workResults = results.filter((r) => r.step === "work");
      expect(workResults).toHaveLength(1);
      expect(workResults[0]).toMatchObject({ nodeId: "node-b", output: { by: "B" } });
      expect(results.every((r) => r.nodeId === "node-b")).toBe(true);
      expect(calls).toEqual([run.id, run.id]);
      if (shape !== "single step") expect(nextCalls).toBe(1);
      // nothing from A after the takeover
      const takeover = transitions.findIndex((t) => t.reason === "test");
      expect(takeover).toBeGreaterThan(0);
      expect(transitions.slice(takeover + 1).every((t) => t.actor !== "node-a")).toBe(true);
      expect(
        transitions
          .filter((t) => t.reason === "claimed")
          .map((t) => [t.actor, (t.details as { epoch: number }).epoch]),
      ).toEqual([
        ["node-a", 1],
        ["node-b", 2],
      ]);
      expect(transitions.at(-1)).toMatchObject({ reason: "completed", actor: "node-b" });
    });
  }

  it("aborts a step on the node's next heartbeat once its run was taken over; the run completes once", async () => {
    const started = gate();
    let firstSignal: AbortSignal | undefined;
    let calls = 0;
    const s = step("s", async (ctx) => {
      calls++;
      if (calls === 1) {
        firstSignal = ctx.signal;
        started.open();
        await new Promise<void>((resolve) =>
          ctx.signal.addEventListener("abort", () => resolve(), { once: true }),
        );
        return "first";
      }
      return "second";
    });
    const p = pipeline("taken-over", [s]);
    const a = await h.start({
      pipelines: [p],
      nodeId: "node-a",
      concurrency: 1,
      leaseMs: 1000,
      heartbeatMs: 100,
      pollMs: 30_000,
    });
    const run = await a.submit(p, {});
    await started.promise;
    await a.store.releaseNodeRuns("node-a", "test", Date.now());
    await until(() => firstSignal?.aborted, {
      timeoutMs: 2000,
      message: "A's heartbeat to notice the lost lease",
    });
    expect((firstSignal?.reason as { code?: string }).code).toBe("lease_lost");
    // the run is pending again; A, free now, claims it anew (epoch 2) and completes it
    const done = await a.wait(run.id, { timeoutMs: 5000 });
    expect(done.status).toBe("succeeded");
    expect(done.output).toEqual({ s: "second" });
    expect(done.attempts).toBe(0);
    expect(calls).toBe(2);
    const { steps, transitions } = await a.inspect(run.id);
    expect(steps).toHaveLength(1);
    expect(steps[0]).toMatchObject({ nodeId: "node-a", output: "second" });
    expect(
      transitions
        .filter((t) => t.reason === "claimed")
        .map((t) => (t.details as { epoch: number }).epoch),
    ).toEqual([1, 2]);
    expect(transitions.filter((t) => t.to === "failed")).toEqual([]);
  });
});

describe("recovery", () => {
  const remoteNode = { id: "remote-node", host: "other-host", pid: 1 };

  function exitedPid(): number {
    const child = spawnSync(process.execPath, ["-e", ""]);
    expect(child.status).toBe(0);
    return child.pid as number;
  }

  it("releases the runs of a dead node on this host at start (node_dead) and completes them", async () => {
    let calls = 0;
    const p = pipeline("orphaned", [
      step("s", (_c, i: { n: number }) => {
        calls++;
        return i.n * 2;
      }),
    ]);
    const client = h.make({ pipelines: [p] });
    const run = await client.submit(p, { n: 21 });
    const now = Date.now();
    const claimed = await claimAsNode(
      client.store,
      { id: "dead-node", host: hostname(), pid: exitedPid() },
      p.name,
      { leaseMs: 60_000, now, limit: 10 },
    );
    expect(claimed.map((c) => c.run.id)).toEqual([run.id]);
    expect((await client.get(run.id))?.status).toBe("running");

    // slow poll: only the recovery at start can bring the run back in time
    const k = await h.start({ pipelines: [p], ...slowLiveness });
    const done = await k.wait(run.id, { timeoutMs: 5000 });
    expect(done.status).toBe("succeeded");
    expect(done.output).toEqual({ s: 42 });
    expect(calls).toBe(1);

    const { steps, transitions } = await k.inspect(run.id);
    expect(steps).toHaveLength(1);
    expect(steps[0]?.nodeId).toBe(k.nodeId);
    expect(describeTransitions(transitions).slice(0, 4)).toEqual([
      "run:-->pending:submitted",
      "run:pending->running:claimed",
      "run:running->pending:node_dead",
      "run:pending->running:claimed",
    ]);
    expect(transitions[1]?.actor).toBe("dead-node");
    expect(transitions[3]?.actor).toBe(k.nodeId);
    expect((await k.store.listNodes()).find((n) => n.id === "dead-node")?.state).toBe("offline");
  });

  it("keeps its checkpoints: a recovered run resumes after the dead node's last completed step", async () => {
    const counts = { a: 0, b: 0 };
    const a = step("a", () => (counts.a++, "from-a"));
    const b = step("b", { after: [a] }, (_c, d) => (counts.b++, `${d.a}+b`));
    const p = pipeline("resumed", [a, b]);
    const client = h.make({ pipelines: [p] });
    const run = await client.submit(p, {});
    const now = Date.now();
    const [claimed] = await claimAsNode(
      client.store,
      { id: "dead-node", host: hostname(), pid: exitedPid() },
      p.name,
      { leaseMs: 60_000, now },
    );
    // the dead node had finished step a before it died
    await client.store.startStep(claimed!.lease, "a", 1, "pending", now);
    await client.store.completeStep(claimed!.lease, {
      step: "a",
      output: "from-dead-node",
      outputHash: "x",
      attempt: 1,
      startedAt: now,
      finishedAt: now,
    });

    const k = await h.start({ pipelines: [p], ...slowLiveness });
    const done = await k.wait(run.id, { timeoutMs: 5000 });
    expect(done.status).toBe("succeeded");
    expect(done.output).toEqual({ b: "from-dead-node+b" });
    expect(counts).toEqual({ a: 0, b: 1 });
    const { steps } = await k.inspect(run.id);
    expect(Object.fromEntries(steps.map((s) => [s.step, s.nodeId]))).toEqual({
      a: "dead-node",
      b: k.nodeId,
    });
  });

  it("recovers a run of a node on another host that went silent (node_silent)", async () => {
    const p = pipeline("remote-silent", [step("s", () => "done")]);
    const client = h.make({ pipelines: [p] });
    const past = Date.now() - 600_000;
    const run = await client.submit(p, {}, { at: past });
    const claimed = await claimAsNode(client.store, remoteNode, p.name, {
      leaseMs: 1000,
      now: past,
    });
    expect(claimed.map((c) => c.run.id)).toEqual([run.id]);

    const k = await h.start({ pipelines: [p], ...slowLiveness });
    const done = await k.wait(run.id, { timeoutMs: 5000 });
    expect(done.status).toBe("succeeded");
    const { transitions } = await k.inspect(run.id);
    const release = transitions.find((t) => t.from === "running" && t.to === "pending");
    // the silent node is found first (its runs go back with it); an expired lease would do too
    expect(release?.reason).toBe("node_silent");
    expect(release?.actor).toBe("system");
    expect((await k.store.listNodes()).find((n) => n.id === "remote-node")?.state).toBe("offline");
  });

  it("recovers a run whose lease expired although its remote node still heartbeats (lease_expired)", async () => {
    const p = pipeline("remote-expired", [step("s", () => "done")]);
    const client = h.make({ pipelines: [p] });
    const now = Date.now();
    const run = await client.submit(p, {}, { at: now - 60_000 });
    // the node is fresh, but the run's lease ran out long ago (claimed a minute back for 1 s)
    const claimed = await claimAsNode(client.store, remoteNode, p.name, {
      leaseMs: 1000,
      now: now - 60_000,
      registeredAt: now,
    });
    expect(claimed.map((c) => c.run.id)).toEqual([run.id]);

    const k = await h.start({ pipelines: [p], leaseMs: 60_000, heartbeatMs: 30_000 });
    const done = await k.wait(run.id, { timeoutMs: 5000 });
    expect(done.status).toBe("succeeded");
    const { transitions } = await k.inspect(run.id);
    expect(describeTransitions(transitions)).toContain("run:running->pending:lease_expired");
    // the live remote node is left alone
    expect((await k.store.listNodes()).find((n) => n.id === "remote-node")?.state).toBe("active");
  });

  it("recovers, on its periodic sweep, a run whose lease expires after the node started", async () => {
    const p = pipeline("expires-later", [step("s", () => "done")]);
    const client = h.make({ pipelines: [p] });
    const run = await client.submit(p, {});
    const now = Date.now();
    // a remote node holds the run with a lease that is still good when the local node starts
    await claimAsNode(client.store, remoteNode, p.name, { leaseMs: 300, now });
    const k = await h.start({ pipelines: [p], leaseMs: 400, heartbeatMs: 100, pollMs: 100 });
    const done = await k.wait(run.id, { timeoutMs: 5000 });
    expect(done.status).toBe("succeeded");
    expect(done.startedAt).toBe(now);
    const { transitions } = await k.inspect(run.id);
    const release = transitions.find((t) => t.from === "running" && t.to === "pending");
    expect(["node_silent", "lease_expired"]).toContain(release?.reason);
    expect(release?.at).toBeGreaterThanOrEqual(now + 300);
  });
});

describe("a store write failing mid-run", () => {
  it("does not strand the run: it comes back and completes", async () => {
    const counts = { a: 0, b: 0 };
    const a = step("a", () => (counts.a++, 1));
    const b = step("b", { after: [a] }, (_c, d) => (counts.b++, d.a + 1));
    const p = pipeline("store-hiccup", [a, b]);
    const k = await h.start({ pipelines: [p], leaseMs: 400, heartbeatMs: 100, pollMs: 100 });
    // the first checkpoint write fails, as a busy or full disk would make it
    const real = k.store.completeStep.bind(k.store);
    let failed = false;
    vi.spyOn(k.store, "completeStep").mockImplementation(async (...args) => {
      if (!failed) {
        failed = true;
        throw Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" });
      }
      return real(...args);
    });
    const run = await k.submit(p, {});
    const done = await k.wait(run.id, { timeoutMs: 5000 });
    expect(failed).toBe(true);
    expect(done.status).toBe("succeeded");
    expect(done.output).toEqual({ b: 2 });
    // a's result was never recorded, so it ran again; b ran once
    expect(counts).toEqual({ a: 2, b: 1 });
    // the node's own heartbeat gave the run back (its lease would otherwise be renewed forever)
    const { transitions, steps } = await k.inspect(run.id);
    expect(describeTransitions(transitions)).toContain("run:running->pending:orphaned");
    expect(steps.map((r) => r.step).sort()).toEqual(["a", "b"]);
  });
});

describe("a node's own lease running out while it executes", () => {
  it("stops the stale execution when the node claims the run again, and completes it once", async () => {
    const started = gate();
    const signals: AbortSignal[] = [];
    const s = step("s", async (ctx) => {
      signals.push(ctx.signal);
      if (signals.length === 1) {
        started.open();
        await new Promise<void>((resolve) =>
          ctx.signal.addEventListener("abort", () => resolve(), { once: true }),
        );
        return "stale";
      }
      return "fresh";
    });
    const p = pipeline("self-expired", [s]);
    const k = await h.start({ pipelines: [p], leaseMs: 400, heartbeatMs: 100, pollMs: 100 });
    // heartbeats fail (a stalled store), so the node's own lease runs out under its feet, and
    // another node's sweep (not its own: it knows it is alive) gives the run back
    const beat = vi.spyOn(k.store, "heartbeat").mockRejectedValue(new Error("store unavailable"));
    const run = await k.submit(p, {});
    await started.promise;
    await until(
      async () => (await k.store.recoverExpiredLeases(Date.now(), "node-b")).includes(run.id),
      { message: "the lease to expire" },
    );
    beat.mockRestore();

    const done = await k.wait(run.id, { timeoutMs: 5000 });
    expect(done.status).toBe("succeeded");
    expect(done.output).toEqual({ s: "fresh" });
    await until(() => signals[0]?.aborted, {
      timeoutMs: 2000,
      message: "the stale execution to be stopped",
    });
    expect((signals[0]?.reason as { code?: string }).code).toBe("lease_lost");
    expect(signals).toHaveLength(2);
    const { steps, transitions } = await k.inspect(run.id);
    expect(steps).toHaveLength(1);
    expect(steps[0]?.output).toBe("fresh");
    expect(
      transitions
        .filter((t) => t.reason === "claimed")
        .map((t) => (t.details as { epoch: number }).epoch),
    ).toEqual([1, 2]);
  });
});

describe("a node whose event loop is blocked past its lease", () => {
  it("keeps its runs: its own sweep leaves them to its heartbeat, and each blocking step runs once", async () => {
    // CPU-bound inline steps block the event loop longer than the lease; no other node runs, so
    // nothing else should take the runs, and the node must not take them from itself
    let calls = 0;
    const block = (ms: number): void => {
      const end = Date.now() + ms;
      while (Date.now() < end);
    };
    const waits = step("waits", async () => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      return 1;
    });
    const hog = step("hog", { timeout: 30_000 }, () => {
      calls++;
      block(700);
      return 2;
    });
    const p = pipeline("blocked", [waits, hog]);
    const warnings: string[] = [];
    const logger = pino(
      { level: "warn" },
      { write: (line: string) => void warnings.push(JSON.parse(line).msg as string) },
    );
    const k = await h.start({
      pipelines: [p],
      logger,
      concurrency: 3,
      leaseMs: 400,
      heartbeatMs: 100,
      pollMs: 50,
    });
    const runs = await k.submitMany(p, [{}, {}, {}]);
    for (const run of runs)
      expect((await k.wait(run.id, { timeoutMs: 20_000 })).status).toBe("succeeded");
    expect(calls).toBe(3);
    for (const run of runs) {
      const reasons = (await k.inspect(run.id)).transitions.map((t) => t.reason);
      expect(reasons).not.toContain("lease_expired");
      expect(reasons.filter((r) => r === "claimed")).toHaveLength(1);
    }
    // and it says why its heartbeats were late, and what to do about it
    expect(warnings).toContainEqual(
      expect.stringMatching(
        /^heartbeat \d+ ms late: the event loop was blocked .* isolation: "process"$/,
      ),
    );
  });
});
