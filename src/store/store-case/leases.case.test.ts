import { describe, expect, it } from "vitest";
import type { HeldRun } from "../store.js";
import {
  LEASE_MS,
  NODE_A,
  NODE_B,
  NOW,
  checkpoint,
  claim,
  claimedRun,
  snapshot,
  submitMany,
  type StoreHandle,
} from "./helpers.case.test.js";

const byRunId = (held: HeldRun[]): HeldRun[] =>
  [...held].sort((a, b) => (a.runId < b.runId ? -1 : 1));

function node(id: string, now = NOW) {
  return { id, host: "host-1", pid: 4242, capabilities: ["p1"], version: "0.1.0", now };
}

export function leaseCases(h: StoreHandle): void {
  describe("heartbeat", () => {
    it("extends the leases of the node's running runs and returns them with their epochs", async () => {
      await submitMany(h.store, 2, { pipeline: "pa" });
      const [a1, a2] = await claim(h.store, { nodeId: NODE_A, limit: 2, pipelines: ["pa"] });
      if (!a1 || !a2) throw new Error("expected two claimed runs");
      const b = await claimedRun(h.store, { nodeId: NODE_B });
      const held = await h.store.heartbeat(NODE_A, NOW + 1000, 45_000);
      expect(byRunId(held)).toEqual(
        byRunId([a1.lease, a2.lease].map((l) => ({ runId: l.runId, epoch: l.epoch }))),
      );
      expect((await h.store.getRun(a1.run.id))?.leaseExpiresAt).toBe(NOW + 1000 + 45_000);
      expect((await h.store.getRun(a2.run.id))?.leaseExpiresAt).toBe(NOW + 1000 + 45_000);
      expect(await h.store.getRun(b.run.id)).toEqual(b.run);
      expect(await h.store.heartbeat(NODE_B, NOW + 1000, 45_000)).toEqual([
        { runId: b.run.id, epoch: b.lease.epoch },
      ]);
    });

    it("does not return runs the node no longer holds", async () => {
      const cancelled = await claimedRun(h.store);
      const done = await claimedRun(h.store);
      const returned = await claimedRun(h.store);
      const kept = await claimedRun(h.store);
      await h.store.cancelRun(cancelled.run.id, { reason: "x", actor: "operator", at: NOW + 1 });
      await h.store.completeStep(done.lease, checkpoint("a"), 1);
      await h.store.returnRun(returned.lease, "stopping", NOW + 1);
      expect(await h.store.heartbeat(NODE_A, NOW + 2, LEASE_MS)).toEqual([
        { runId: kept.run.id, epoch: kept.lease.epoch },
      ]);
      expect(await h.store.heartbeat("node-without-runs", NOW + 2, LEASE_MS)).toEqual([]);
    });

    it("refreshes the node's heartbeat time, bringing an offline node back as active", async () => {
      await h.store.registerNode(node(NODE_A));
      await h.store.registerNode(node(NODE_B));
      await h.store.setNodeState(NODE_A, "offline", NOW + 10);
      await h.store.setNodeState(NODE_B, "draining", NOW + 10);
      await h.store.heartbeat(NODE_A, NOW + 5000, LEASE_MS);
      await h.store.heartbeat(NODE_B, NOW + 6000, LEASE_MS);
      const nodes = await h.store.listNodes();
      expect(nodes.find((n) => n.id === NODE_A)).toMatchObject({
        state: "active",
        heartbeatAt: NOW + 5000,
        startedAt: NOW,
      });
      expect(nodes.find((n) => n.id === NODE_B)).toMatchObject({
        state: "draining",
        heartbeatAt: NOW + 6000,
      });
    });
  });

  describe("recoverExpiredLeases", () => {
    it("returns expired running runs to pending, and leaves the others", async () => {
      const expired = await claimedRun(h.store, { leaseMs: 1000 });
      const live = await claimedRun(h.store, { leaseMs: 60_000 });
      const pending = await submitMany(h.store, 1, { pipeline: "idle" });
      const liveBefore = await snapshot(h.store, live.run.id);

      expect(await h.store.recoverExpiredLeases(NOW + 5000)).toEqual([expired.run.id]);
      expect(await h.store.getRun(expired.run.id)).toMatchObject({
        status: "pending",
        nodeId: null,
        leaseExpiresAt: null,
        updatedAt: NOW + 5000,
      });
      expect((await h.store.listTransitions(expired.run.id)).at(-1)).toMatchObject({
        step: null,
        from: "running",
        to: "pending",
        reason: "lease_expired",
        at: NOW + 5000,
      });
      expect(await snapshot(h.store, live.run.id)).toEqual(liveBefore);
      expect((await h.store.getRun(pending[0]?.id ?? ""))?.status).toBe("pending");

      expect(await h.store.recoverExpiredLeases(NOW + 5000)).toEqual([]);
      const reclaimed = await claim(h.store, {
        pipelines: [expired.run.pipeline],
        nodeId: NODE_B,
        now: NOW + 5001,
      });
      expect(reclaimed.map((c) => c.lease.epoch)).toEqual([expired.lease.epoch + 1]);
    });

    it("leaves the sweeping node's own expired runs to it, and takes the others'", async () => {
      // the sweeper is alive, as it sweeps: its runs expired only because it was starved
      const mine = await claimedRun(h.store, { leaseMs: 1000, nodeId: NODE_A });
      const theirs = await claimedRun(h.store, { leaseMs: 1000, nodeId: NODE_B });
      const mineBefore = await snapshot(h.store, mine.run.id);
      expect(await h.store.recoverExpiredLeases(NOW + 5000, NODE_A)).toEqual([theirs.run.id]);
      expect(await snapshot(h.store, mine.run.id)).toEqual(mineBefore);
      // its heartbeat renews it, and its write still lands under the same epoch
      expect(await h.store.heartbeat(NODE_A, NOW + 5001, 1000)).toEqual([
        { runId: mine.run.id, epoch: mine.lease.epoch },
      ]);
      // another node's sweep takes it if that heartbeat never comes
      expect(await h.store.recoverExpiredLeases(NOW + 9000, NODE_B)).toEqual([mine.run.id]);
    });

    it("does not recover a lease kept alive by heartbeats", async () => {
      const { run } = await claimedRun(h.store, { leaseMs: 1000 });
      await h.store.heartbeat(NODE_A, NOW + 900, 1000);
      expect(await h.store.recoverExpiredLeases(NOW + 1500)).toEqual([]);
      expect(await h.store.recoverExpiredLeases(NOW + 2500)).toEqual([run.id]);
    });
  });

  describe("releaseNodeRuns", () => {
    it("returns only that node's running runs to pending", async () => {
      const a1 = await claimedRun(h.store, { nodeId: NODE_A });
      const a2 = await claimedRun(h.store, { nodeId: NODE_A });
      const aDone = await claimedRun(h.store, { nodeId: NODE_A });
      await h.store.completeStep(aDone.lease, checkpoint("a"), "out");
      const b = await claimedRun(h.store, { nodeId: NODE_B });
      const bBefore = await snapshot(h.store, b.run.id);
      const doneBefore = await snapshot(h.store, aDone.run.id);

      const released = await h.store.releaseNodeRuns(NODE_A, "node_dead", NOW + 100);
      expect([...released].sort()).toEqual([a1.run.id, a2.run.id].sort());
      for (const id of released) {
        expect(await h.store.getRun(id)).toMatchObject({
          status: "pending",
          nodeId: null,
          leaseExpiresAt: null,
        });
        expect((await h.store.listTransitions(id)).at(-1)).toMatchObject({
          step: null,
          from: "running",
          to: "pending",
          reason: "node_dead",
          at: NOW + 100,
        });
      }
      expect(await snapshot(h.store, b.run.id)).toEqual(bBefore);
      expect(await snapshot(h.store, aDone.run.id)).toEqual(doneBefore);
      expect(await h.store.releaseNodeRuns(NODE_A, "node_dead", NOW + 200)).toEqual([]);
      expect(await h.store.releaseNodeRuns("unknown-node", "node_dead", NOW + 200)).toEqual([]);
    });
  });
}
