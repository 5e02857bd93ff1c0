import { describe, expect, it } from "vitest";
import {
  LEASE_MS,
  NODE_A,
  NODE_B,
  NOW,
  checkpoint,
  claim,
  claimOne,
  claimedRun,
  submit,
  submitMany,
  type StoreHandle,
} from "./helpers.case.test.js";

export function claimCases(h: StoreHandle): void {
  describe("claimRuns", () => {
    it("claims a run: running, owned by the node, leased, with a claimed transition", async () => {
      const submitted = await submit(h.store);
      const claimed = await claimOne(h.store, { nodeId: NODE_A, now: NOW + 50, leaseMs: 20_000 });
      const expected = {
        ...submitted,
        status: "running",
        nodeId: NODE_A,
        leaseEpoch: submitted.leaseEpoch + 1,
        leaseExpiresAt: NOW + 50 + 20_000,
        startedAt: NOW + 50,
        updatedAt: NOW + 50,
      };
      expect(claimed).toEqual({
        run: expected,
        lease: {
          runId: submitted.id,
          nodeId: NODE_A,
          epoch: submitted.leaseEpoch + 1,
          traceId: submitted.traceId,
        },
        checkpoints: [],
        placement: { requires: [], pool: "" },
      });
      expect(await h.store.getRun(submitted.id)).toEqual(expected);
      const transitions = await h.store.listTransitions(submitted.id);
      expect(transitions).toMatchObject([
        { to: "pending", reason: "submitted" },
        {
          runId: submitted.id,
          step: null,
          from: "pending",
          to: "running",
          reason: "claimed",
          actor: NODE_A,
          at: NOW + 50,
          traceId: submitted.traceId,
        },
      ]);
    });

    it("respects the limit", async () => {
      await submitMany(h.store, 5);
      expect(await claim(h.store, { limit: 3 })).toHaveLength(3);
      expect(await h.store.countRunsByStatus()).toMatchObject({ pending: 2, running: 3 });
      expect(await claim(h.store, { limit: 10 })).toHaveLength(2);
      expect(await claim(h.store, { limit: 10 })).toEqual([]);
    });

    it("asks a limit given as a function when the claim is written", async () => {
      await submitMany(h.store, 5);
      let free = 1;
      const claiming = claim(h.store, { limit: () => free });
      free = 4; // slots freed after the claim was asked for, before it was written
      expect(await claiming).toHaveLength(4);
      expect(await claim(h.store, { limit: () => 0 })).toEqual([]);
      expect(await h.store.countRunsByStatus()).toMatchObject({ pending: 1, running: 4 });
    });

    it("claims nothing with a limit of 0 or no pipelines", async () => {
      const run = await submit(h.store);
      expect(await claim(h.store, { limit: 0 })).toEqual([]);
      expect(await claim(h.store, { pipelines: [] })).toEqual([]);
      expect((await h.store.getRun(run.id))?.status).toBe("pending");
    });

    it("claims higher priority first, and returns them in that order", async () => {
      const low = await submit(h.store, { priority: 0 });
      const mid = await submit(h.store, { priority: 5 });
      const lowest = await submit(h.store, { priority: -5 });
      const high = await submit(h.store, { priority: 10 });
      const claimed = await claim(h.store, { limit: 2 });
      expect(claimed.map((c) => c.run.id)).toEqual([high.id, mid.id]);
      expect((await h.store.getRun(low.id))?.status).toBe("pending");
      expect((await claimOne(h.store)).run.id).toBe(low.id);
      expect((await claimOne(h.store)).run.id).toBe(lowest.id);
    });

    it("with minPriority, leaves runs of lower priority pending (deferred under CPU pressure)", async () => {
      const low = await submit(h.store, { priority: -1 });
      const zero = await submit(h.store, { priority: 0 });
      const high = await submit(h.store, { priority: 7 });
      const claimed = await claim(h.store, { limit: 10, minPriority: 0 });
      expect(claimed.map((c) => c.run.id)).toEqual([high.id, zero.id]);
      expect(await claim(h.store, { limit: 10, minPriority: 0 })).toEqual([]);
      expect((await claimOne(h.store)).run.id).toBe(low.id);
    });

    it("at equal priority, claims the run due first", async () => {
      await submit(h.store, { scheduledFor: NOW });
      const earlier = await submit(h.store, { scheduledFor: NOW - 1000 });
      expect((await claimOne(h.store)).run.id).toBe(earlier.id);
    });

    it("does not claim a run before its scheduled time, and claims it once due", async () => {
      const later = await submit(h.store, { scheduledFor: NOW + 60_000 });
      expect(await claim(h.store, { now: NOW })).toEqual([]);
      expect(await claim(h.store, { now: NOW + 59_999 })).toEqual([]);
      const claimed = await claimOne(h.store, { now: NOW + 60_000 });
      expect(claimed.run.id).toBe(later.id);
      expect(claimed.run.startedAt).toBe(NOW + 60_000);
      expect(claimed.run.leaseExpiresAt).toBe(NOW + 60_000 + LEASE_MS);
    });

    it("claims only runs of the listed pipelines", async () => {
      const one = await submit(h.store, { pipeline: "p1" });
      await submit(h.store, { pipeline: "p2" });
      const three = await submit(h.store, { pipeline: "p3" });
      const claimed = await claim(h.store, { pipelines: ["p1", "p3", "p9"] });
      expect(claimed.map((c) => c.run.id).sort()).toEqual([one.id, three.id].sort());
      expect(await h.store.countRunsByStatus()).toMatchObject({ pending: 1, running: 2 });
    });

    it("never claims a run that is already running or finished", async () => {
      await submitMany(h.store, 3);
      expect(await claim(h.store, { nodeId: NODE_A })).toHaveLength(3);
      expect(await claim(h.store, { nodeId: NODE_B, now: NOW + 1000 })).toEqual([]);
    });

    it("bumps the lease epoch on every claim, keeping the first start time", async () => {
      const first = await claimedRun(h.store, { now: NOW });
      const pipelines = [first.run.pipeline];
      await h.store.returnRun(first.lease, "stopping", NOW + 10);
      const second = await claimOne(h.store, { pipelines, nodeId: NODE_B, now: NOW + 20 });
      expect(second.lease.epoch).toBe(first.lease.epoch + 1);
      expect(second.run.leaseEpoch).toBe(second.lease.epoch);
      expect(second.run.nodeId).toBe(NODE_B);
      expect(second.run.startedAt).toBe(NOW);
      await h.store.rescheduleRun(second.lease, NOW + 500, "retry", NOW + 30);
      const third = await claimOne(h.store, { pipelines, now: NOW + 500 });
      expect(third.lease).toEqual({
        runId: first.run.id,
        nodeId: NODE_A,
        epoch: first.lease.epoch + 2,
        traceId: first.run.traceId,
      });
      expect((await h.store.getRun(first.run.id))?.leaseEpoch).toBe(third.lease.epoch);
      const claims = (await h.store.listTransitions(first.run.id)).filter(
        (t) => t.reason === "claimed",
      );
      expect(claims.map((t) => [t.actor, t.at])).toEqual([
        [NODE_A, NOW],
        [NODE_B, NOW + 20],
        [NODE_A, NOW + 500],
      ]);
    });

    it("returns the run's existing checkpoints", async () => {
      const first = await claimedRun(h.store);
      await h.store.completeStep(
        first.lease,
        checkpoint("a", { output: [1, "two"], startedAt: NOW + 1, finishedAt: NOW + 2 }),
      );
      await h.store.completeStep(
        first.lease,
        checkpoint("b", { output: "text", attempt: 3, startedAt: NOW + 3, finishedAt: NOW + 4 }),
      );
      await h.store.returnRun(first.lease, "stopping", NOW + 5);
      const again = await claimOne(h.store, {
        pipelines: [first.run.pipeline],
        nodeId: NODE_B,
        now: NOW + 6,
      });
      const runId = first.run.id;
      expect([...again.checkpoints].sort((x, y) => x.step.localeCompare(y.step))).toEqual([
        {
          runId,
          step: "a",
          output: [1, "two"],
          outputHash: "hash-of-a",
          attempt: 1,
          nodeId: NODE_A,
          startedAt: NOW + 1,
          finishedAt: NOW + 2,
          degraded: false,
          recorded: null,
        },
        {
          runId,
          step: "b",
          output: "text",
          outputHash: "hash-of-b",
          attempt: 3,
          nodeId: NODE_A,
          startedAt: NOW + 3,
          finishedAt: NOW + 4,
          degraded: false,
          recorded: null,
        },
      ]);
    });

    it("never gives the same run to two concurrent claims", async () => {
      const runs = await submitMany(h.store, 20);
      const [a, b] = await Promise.all([
        claim(h.store, { nodeId: NODE_A, limit: 15 }),
        claim(h.store, { nodeId: NODE_B, limit: 15 }),
      ]);
      const idsA = a.map((c) => c.run.id);
      const idsB = b.map((c) => c.run.id);
      expect(idsA.filter((id) => idsB.includes(id))).toEqual([]);
      expect([...idsA, ...idsB].sort()).toEqual(runs.map((r) => r.id).sort());
      for (const c of a) expect(c.lease.nodeId).toBe(NODE_A);
      for (const c of b) expect(c.lease.nodeId).toBe(NODE_B);
      for (const run of runs) {
        const claims = (await h.store.listTransitions(run.id)).filter(
          (t) => t.reason === "claimed",
        );
        expect(claims).toHaveLength(1);
        expect((await h.store.getRun(run.id))?.nodeId).toBe(claims[0]?.actor);
      }
    });
  });

  describe("nextDueAt", () => {
    it("is null when no run is pending", async () => {
      expect(await h.store.nextDueAt(["p1"])).toBeNull();
      await submit(h.store);
      await claimOne(h.store);
      expect(await h.store.nextDueAt(["p1"])).toBeNull();
    });

    it("is the earliest scheduled time of pending runs of the given pipelines", async () => {
      await submit(h.store, { pipeline: "p1", scheduledFor: NOW + 3000 });
      await submit(h.store, { pipeline: "p1", scheduledFor: NOW + 2000 });
      await submit(h.store, { pipeline: "p2", scheduledFor: NOW + 1000 });
      await submit(h.store, { pipeline: "p3", scheduledFor: NOW - 5000 });
      expect(await h.store.nextDueAt(["p1"])).toBe(NOW + 2000);
      expect(await h.store.nextDueAt(["p1", "p2"])).toBe(NOW + 1000);
      expect(await h.store.nextDueAt(["p3", "p2"])).toBe(NOW - 5000);
      expect(await h.store.nextDueAt(["p9"])).toBeNull();
      expect(await h.store.nextDueAt([])).toBeNull();
    });

    it("with minPriority, only runs of that priority or higher count", async () => {
      await submit(h.store, { priority: -1, scheduledFor: NOW - 500 });
      await submit(h.store, { priority: 2, scheduledFor: NOW + 100 });
      expect(await h.store.nextDueAt(["p1"])).toBe(NOW - 500);
      expect(await h.store.nextDueAt(["p1"], 0)).toBe(NOW + 100);
      expect(await h.store.nextDueAt(["p1"], 3)).toBeNull();
    });

    it("ignores runs that are no longer pending", async () => {
      const early = await submit(h.store, { scheduledFor: NOW - 100 });
      await submit(h.store, { scheduledFor: NOW + 100 });
      expect(await h.store.nextDueAt(["p1"])).toBe(NOW - 100);
      expect((await claimOne(h.store, { now: NOW })).run.id).toBe(early.id);
      expect(await h.store.nextDueAt(["p1"])).toBe(NOW + 100);
    });
  });
}
