// Claiming ahead: a node whose runs are short claims a few runs beyond its free slots, never runs
// more than its concurrency at once, and gives held runs back when they wait too long, when it
// stops, and on an emergency stop; a cancelled held run never starts.
import { describe, expect, it } from "vitest";
import { pipeline, step, type Keel, type KeelOptions } from "../../src/index.js";
import { ClaimAhead } from "../../src/engine/claim-ahead.js";
import { resolveWorkerSettings } from "../../src/engine/worker-options.js";
import { anywhere } from "../../src/core/placement.js";
import type { ClaimedRun } from "../../src/store/store.js";
import { describeTransitions, fakeDisk, gate, sleep, until, useHarness } from "./helpers.js";

const h = useHarness();

function claimed(id: string): ClaimedRun {
  return {
    run: { id } as ClaimedRun["run"],
    lease: { runId: id, nodeId: "n", epoch: 1 },
    checkpoints: [],
    placement: anywhere,
  };
}

describe("ClaimAhead", () => {
  it("holds nothing until a run has finished, then as many as finish within the wait", () => {
    const ahead = new ClaimAhead({ max: 30, waitMs: 50 });
    expect(ahead.room(10)).toBe(0);
    ahead.recordRun(20);
    // 10 slots, 20 ms a run: 25 runs start within 50 ms
    expect(ahead.room(10)).toBe(25);
    ahead.hold(claimed("a"), 0);
    expect(ahead.room(10)).toBe(24);
    // the mean follows about the last ten runs: 20 ms, then 0.5 ms ones
    ahead.recordRun(0.5);
    expect(ahead.room(10)).toBe(26); // mean 18.05 ms
    for (let i = 0; i < 30; i++) ahead.recordRun(0.5);
    expect(ahead.room(10)).toBe(29); // capped at max
    // every slot taken for 2 s by runs that are not finishing: hold nothing more
    expect(ahead.room(10, 2000)).toBe(0);
    expect(new ClaimAhead({ max: 0, waitMs: 50 }).room(10)).toBe(0);
  });

  it("gives back runs held past staleMs, oldest first, and drops one by id", () => {
    const ahead = new ClaimAhead({ max: 10, waitMs: 50 });
    expect(ahead.staleMs).toBe(1000);
    ahead.hold(claimed("a"), 0);
    ahead.hold(claimed("b"), 500);
    ahead.hold(claimed("c"), 900);
    expect(ahead.drop("b")).toBe(true);
    expect(ahead.drop("b")).toBe(false);
    expect(ahead.takeStale(1200).map((c) => c.run.id)).toEqual(["a"]);
    expect(ahead.next()?.run.id).toBe("c");
    expect(ahead.size).toBe(0);
  });

  it("counts a run given back stale as a slow run, so fewer are held next", () => {
    const ahead = new ClaimAhead({ max: 30, waitMs: 50 });
    ahead.recordRun(1);
    expect(ahead.room(10)).toBe(30);
    ahead.hold(claimed("a"), 0);
    ahead.takeStale(1500);
    // mean 1 + 0.1 x (1000 - 1) = 100.9 ms: 10 x 50 / 100.9
    expect(ahead.room(10)).toBe(4);
  });

  it("defaults to three times the most runs in flight, at least 128, and refuses bad values by name", () => {
    expect(resolveWorkerSettings({ concurrency: 50 }).claimAhead).toEqual({ max: 150, waitMs: 50 });
    expect(resolveWorkerSettings({ concurrency: 20 }).claimAhead.max).toBe(128);
    expect(resolveWorkerSettings({ concurrency: 1 }).claimAhead.max).toBe(128);
    expect(resolveWorkerSettings({ concurrency: 4, claimAhead: 0 }).claimAhead.max).toBe(0);
    expect(() => resolveWorkerSettings({ claimAhead: -1 })).toThrow(
      "claimAhead must be a whole number from 0 to 10000, got -1",
    );
    expect(() => resolveWorkerSettings({ claimAheadWaitMs: 0 })).toThrow(
      "claimAheadWaitMs must be a whole number from 1 to 60000, got 0",
    );
  });
});

/** A pipeline of one step that counts how many run at once and how many the store has running. */
function counting(k: () => Keel) {
  const seen = { active: 0, mostActive: 0, mostRunningInStore: 0, done: 0 };
  const p = pipeline("short", [
    step("s", async () => {
      seen.active++;
      seen.mostActive = Math.max(seen.mostActive, seen.active);
      const counts = await k().store.countRunsByStatus();
      seen.mostRunningInStore = Math.max(seen.mostRunningInStore, counts.running);
      seen.active--;
      seen.done++;
      return null;
    }),
  ]);
  return { p, seen };
}

describe("a node claiming ahead", () => {
  it("claims beyond its free slot while runs are short, and never runs two at once", async () => {
    let k!: Keel;
    const { p, seen } = counting(() => k);
    k = h.make({ pipelines: [p], concurrency: 1 });
    await k.submitMany(
      p,
      Array.from({ length: 200 }, (_, i) => ({ i })),
    );
    await k.start();
    await until(async () => (await k.store.countRunsByStatus()).succeeded === 200, {
      timeoutMs: 20_000,
      message: "200 runs done",
    });
    expect(seen.mostActive).toBe(1);
    expect(seen.mostRunningInStore).toBeGreaterThan(1);
    expect(await k.store.countRunsByStatus()).toMatchObject({ running: 0, pending: 0 });
  });

  it("two nodes claiming ahead on one store run every run once", async () => {
    const executed = new Map<number, number>();
    const p = pipeline("shared-short", [
      step("s", (_ctx, input: { i: number }) => {
        executed.set(input.i, (executed.get(input.i) ?? 0) + 1);
        return null;
      }),
    ]);
    const a = await h.start({ pipelines: [p], concurrency: 2 });
    const b = await h.start({ pipelines: [p], concurrency: 2 });
    await a.submitMany(
      p,
      Array.from({ length: 600 }, (_, i) => ({ i })),
    );
    await until(async () => (await b.store.countRunsByStatus()).succeeded === 600, {
      timeoutMs: 30_000,
      message: "600 runs done",
    });
    expect(executed.size).toBe(600);
    expect([...executed.values()].filter((n) => n !== 1)).toEqual([]);
    expect(await a.store.countRunsByStatus()).toMatchObject({ pending: 0, running: 0 });
  });

  it("with claimAhead 0 holds no run beyond its slot", async () => {
    let k!: Keel;
    const { p, seen } = counting(() => k);
    k = h.make({ pipelines: [p], concurrency: 1, claimAhead: 0 });
    await k.submitMany(
      p,
      Array.from({ length: 100 }, (_, i) => ({ i })),
    );
    await k.start();
    await until(() => seen.done === 100, { timeoutMs: 20_000, message: "100 runs done" });
    expect(seen.mostRunningInStore).toBe(1);
  });
});

/**
 * 20 short runs, then one that blocks its slot until `release`, then 10 short ones: a node at
 * concurrency 1 that claims ahead holds some of the last ten while the blocking one runs.
 */
async function heldBehindABlockedRun(options: KeelOptions = {}) {
  const blocked = gate();
  const release = gate();
  h.onCleanup(() => release.open());
  const ran: number[] = [];
  const p = pipeline("held", [
    step("s", async (_ctx, input: { i: number }) => {
      ran.push(input.i);
      if (input.i === 20) {
        blocked.open();
        await release.promise;
      }
      return input.i;
    }),
  ]);
  const k = h.make({ pipelines: [p], concurrency: 1, claimAhead: 3, ...options });
  const runs = await k.submitMany(
    p,
    Array.from({ length: 31 }, (_, i) => ({ i })),
  );
  await k.start();
  await blocked.promise;
  // the runs after the blocked one that are running in the store (the runs before it may still
  // show running for a moment: their last write is queued, not yet committed)
  const later = new Set(runs.slice(21).map((r) => r.id));
  const held = await until(
    async () => {
      const running = (await k.list({ status: "running" })).runs.filter((r) => later.has(r.id));
      return running.length > 0 ? running : undefined;
    },
    { message: "runs claimed ahead of the blocked one" },
  );
  return { k, p, runs, held, ran, release };
}

describe("runs claimed ahead", () => {
  it("that wait past staleMs go back to pending and are not claimed again while the slot stays taken", async () => {
    const { k, held, ran, release, runs } = await heldBehindABlockedRun();
    expect(held.length).toBeLessThanOrEqual(3);
    for (const run of held) expect((await k.inspect(run.id)).steps).toEqual([]);
    await until(async () => (await k.get(held[0]!.id))?.status === "pending", {
      message: "held runs given back",
    });
    const trail = describeTransitions((await k.inspect(held[0]!.id)).transitions);
    expect(trail).toEqual([
      "run:-->pending:submitted",
      "run:pending->running:claimed",
      "run:running->pending:claimed_ahead_unstarted",
    ]);
    await sleep(400);
    expect((await k.list({ status: "running" })).runs.map((r) => r.id)).toEqual([runs[20]!.id]);
    expect(ran.filter((i) => i > 20)).toEqual([]);
    release.open();
    await until(async () => (await k.store.countRunsByStatus()).succeeded === 31, {
      message: "every run done",
    });
    expect([...ran].sort((a, b) => a - b)).toEqual(Array.from({ length: 31 }, (_, i) => i));
  });

  it("are kept by the heartbeat, not taken for orphans, while they wait within staleMs", async () => {
    const { k, held, release } = await heldBehindABlockedRun({
      claimAheadWaitMs: 200, // staleMs 4 s
      heartbeatMs: 100,
      leaseMs: 1000,
    });
    await sleep(1500); // fifteen beats, past the lease
    for (const run of held) expect((await k.get(run.id))?.status).toBe("running");
    release.open();
    await until(async () => (await k.store.countRunsByStatus()).succeeded === 31, {
      message: "every run done",
    });
    for (const run of held)
      expect(describeTransitions((await k.inspect(run.id)).transitions)).not.toContain(
        "run:running->pending:orphaned",
      );
  });

  it("go back at once on a graceful stop, and the run in flight finishes", async () => {
    const { k, held, ran, release, runs } = await heldBehindABlockedRun({ claimAheadWaitMs: 200 });
    const stopping = k.stop();
    await until(async () => (await k.get(held[0]!.id))?.status === "pending", {
      message: "held runs given back on stop",
    });
    release.open();
    await stopping;
    const reader = h.make();
    expect((await reader.get(runs[20]!.id))?.status).toBe("succeeded");
    for (const run of held) {
      expect((await reader.get(run.id))?.status).toBe("pending");
      expect(describeTransitions((await reader.inspect(run.id)).transitions)).toContain(
        "run:running->pending:node_stopping",
      );
    }
    expect(ran.filter((i) => i > 20)).toEqual([]);
  });

  it("go back at once on an emergency stop; a cancelled one never starts", async () => {
    const { k, held, ran, release } = await heldBehindABlockedRun({ claimAheadWaitMs: 200 });
    const [first, ...rest] = held;
    await k.cancel(first!.id, "not wanted", "tester");
    await k.emergencyOn({ reason: "test", actor: "tester" });
    for (const run of rest)
      await until(async () => (await k.get(run.id))?.status === "pending", {
        message: "held runs given back on the emergency stop",
      });
    for (const run of rest)
      expect(describeTransitions((await k.inspect(run.id)).transitions)).toContain(
        "run:running->pending:emergency_stop",
      );
    release.open();
    await k.emergencyOff({ actor: "tester" });
    await until(async () => (await k.store.countRunsByStatus()).succeeded === 30, {
      timeoutMs: 10_000,
      message: "every run but the cancelled one done",
    });
    const cancelled = await k.get(first!.id);
    expect(cancelled?.status).toBe("cancelled");
    expect(ran).not.toContain((cancelled?.input as { i: number }).i);
  });

  it("do not start while the disk guard pauses claiming, and go back if the pause lasts", async () => {
    const disk = fakeDisk(50);
    const { k, held, ran, release, runs } = await heldBehindABlockedRun({
      disk: { statfs: disk.statfs, intervalMs: 20 },
    });
    disk.percent = 93;
    await until(() => k.diskState?.state === "paused", { message: "the guard paused" });
    release.open();
    expect((await k.wait(runs[20]!.id, { timeoutMs: 5000 })).status).toBe("succeeded");
    // its slot is free, but the held runs wait out the pause, then go back
    await until(async () => (await k.get(held[0]!.id))?.status === "pending", {
      message: "held runs given back during the pause",
    });
    expect(ran.filter((i) => i > 20)).toEqual([]);
    expect(describeTransitions((await k.inspect(held[0]!.id)).transitions)).toContain(
      "run:running->pending:claimed_ahead_unstarted",
    );
    disk.percent = 60;
    await until(async () => (await k.store.countRunsByStatus()).succeeded === 31, {
      message: "every run done once the disk has room",
    });
  });
});
