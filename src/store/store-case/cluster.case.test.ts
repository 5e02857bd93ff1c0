import { describe, expect, it } from "vitest";
import { NodeOnlineError } from "../../core/errors/cluster-errors.js";
import { NotFoundError } from "../../core/errors/definition-errors.js";
import { LeaseLostError } from "../../core/errors/run-errors.js";
import type { NewJoinToken } from "../cluster-store.js";
import type { NewNode } from "../store.js";
import {
  NOW,
  NODE_A,
  NODE_B,
  claim,
  claimedRun,
  expectKeelError,
  soloPipeline,
  submit,
  type StoreHandle,
} from "./helpers.case.test.js";

function joinToken(overrides: Partial<NewJoinToken> = {}): NewJoinToken {
  return {
    id: "jt1",
    name: "gpu-pool-a",
    secretHash: "b".repeat(64),
    capabilities: ["gpu"],
    pools: ["gpu"],
    createdAt: NOW,
    createdBy: "cli:ops",
    ...overrides,
  };
}

function node(id: string, overrides: Partial<NewNode> = {}): NewNode {
  return {
    id,
    host: `host-${id}`,
    pid: 10,
    capabilities: [],
    version: "1",
    now: NOW,
    ...overrides,
  };
}

const gpu = { requires: ["gpu"], pool: "" };

export function clusterCases(h: StoreHandle): void {
  describe("cluster", () => {
    it("claims a placed run only for a node offering every capability and the pool", async () => {
      const pipeline = soloPipeline();
      const placed = await submit(h.store, {
        pipeline,
        placement: { requires: ["embed", "gpu"], pool: "" },
      });
      const plain = await submit(h.store, { pipeline });
      const pooled = await submit(h.store, { pipeline, placement: { requires: [], pool: "big" } });
      const none = await claim(h.store, { pipelines: [pipeline], capabilities: ["gpu"] });
      expect(none.map((c) => c.run.id)).toEqual([plain.id]);
      const both = await claim(h.store, {
        nodeId: NODE_B,
        pipelines: [pipeline],
        capabilities: ["gpu", "embed", "cpu"],
      });
      expect(both.map((c) => [c.run.id, c.placement])).toEqual([
        [placed.id, { requires: ["embed", "gpu"], pool: "" }],
      ]);
      expect(await claim(h.store, { pipelines: [pipeline] })).toEqual([]);
      const inPool = await claim(h.store, { pipelines: [pipeline], pool: "big" });
      expect(inPool.map((c) => c.run.id)).toEqual([pooled.id]);
    });

    it("counts due placed runs by placement; plain and future runs are not counted", async () => {
      const pipeline = soloPipeline();
      await submit(h.store, { pipeline, placement: gpu, scheduledFor: NOW - 5000 });
      await submit(h.store, { pipeline, placement: gpu });
      await submit(h.store, { pipeline, placement: gpu, scheduledFor: NOW + 60_000 });
      await submit(h.store, { pipeline });
      expect(await h.store.placedWaiting(NOW)).toEqual([
        { placement: gpu, runs: 2, oldestDueAt: NOW - 5000, runIds: [] },
      ]);
    });

    it("names the longest waiting runs of each placement when asked for a sample", async () => {
      const pipeline = soloPipeline();
      const embed = { requires: ["embed", "gpu"], pool: "" };
      const late = await submit(h.store, { pipeline, placement: gpu, scheduledFor: NOW - 100 });
      const early = await submit(h.store, { pipeline, placement: gpu, scheduledFor: NOW - 900 });
      await submit(h.store, { pipeline, placement: gpu, scheduledFor: NOW - 50 });
      const both = await submit(h.store, { pipeline, placement: embed, scheduledFor: NOW - 10 });
      await submit(h.store, { pipeline, placement: embed, scheduledFor: NOW + 60_000 });
      const claimed = await claim(h.store, {
        pipelines: [pipeline],
        capabilities: ["gpu"],
        limit: 1,
      });
      // a claimed run waits no more: the sample and the count leave it out
      expect(claimed.map((c) => c.run.id)).toEqual([early.id]);
      expect(await h.store.placedWaiting(NOW, 1)).toEqual([
        { placement: gpu, runs: 2, oldestDueAt: NOW - 100, runIds: [late.id] },
        { placement: embed, runs: 1, oldestDueAt: NOW - 10, runIds: [both.id] },
      ]);
    });

    it("lists runs by what their next step requires and its pool, exactly", async () => {
      const pipeline = soloPipeline();
      const one = await submit(h.store, { pipeline, placement: gpu });
      const two = await submit(h.store, {
        pipeline,
        placement: { requires: ["embed", "gpu"], pool: "" },
      });
      const pooled = await submit(h.store, {
        pipeline,
        placement: { requires: ["gpu"], pool: "big" },
      });
      await submit(h.store, { pipeline });
      const ids = async (query: { requires?: string[]; pool?: string }) =>
        (await h.store.listRuns({ pipeline, limit: 10, ...query })).runs.map((r) => r.id).sort();
      expect(await ids({ requires: ["gpu"], pool: "" })).toEqual([one.id]);
      expect(await ids({ requires: ["gpu", "embed"] })).toEqual([two.id]);
      expect(await ids({ requires: ["gpu"] })).toEqual([one.id, pooled.id].sort());
      expect(await ids({ pool: "big" })).toEqual([pooled.id]);
    });

    it("hands a run on with its next placement, fenced, and a transition saying so", async () => {
      const claimed = await claimedRun(h.store);
      await h.store.handOffRun(claimed.lease, gpu, NOW + 10);
      const run = await h.store.getRun(claimed.run.id);
      expect(run).toMatchObject({ status: "pending", nodeId: null });
      const transitions = await h.store.listTransitions(claimed.run.id);
      expect(transitions.at(-1)).toMatchObject({
        from: "running",
        to: "pending",
        reason: "placement",
      });
      await expectKeelError(
        h.store.handOffRun(claimed.lease, gpu, NOW + 20),
        LeaseLostError,
        "lease_lost",
      );
      const again = await claim(h.store, {
        pipelines: [claimed.run.pipeline],
        capabilities: ["gpu"],
        now: NOW + 30,
      });
      expect(again.map((c) => c.placement)).toEqual([gpu]);
    });

    it("creates, finds and revokes join tokens, audited; a revoked one is found no more", async () => {
      const created = await h.store.createJoinToken(joinToken(), { action: "join_token.create" });
      expect(created).toEqual({
        ...joinToken(),
        lastUsedAt: null,
        revokedAt: null,
        revokedBy: null,
      });
      expect(await h.store.useJoinToken("c".repeat(64), NOW)).toBeUndefined();
      expect((await h.store.useJoinToken("b".repeat(64), NOW + 1))?.lastUsedAt).toBe(NOW + 1);
      const revoked = await h.store.revokeJoinToken("jt1", {
        actor: "cli:ops",
        at: NOW + 2,
        reason: "host retired",
        audit: { action: "join_token.revoke" },
      });
      expect(revoked).toMatchObject({ revokedAt: NOW + 2, revokedBy: "cli:ops" });
      expect(await h.store.useJoinToken("b".repeat(64), NOW + 3)).toBeUndefined();
      expect((await h.store.listJoinTokens()).map((t) => t.id)).toEqual(["jt1"]);
      await expectKeelError(
        h.store.revokeJoinToken("nope", { actor: "x", at: NOW }),
        NotFoundError,
        "not_found",
      );
      const audit = (await h.store.listAudit({ limit: 10 })).entries.map((e) => [
        e.action,
        e.target,
      ]);
      expect(audit).toEqual([
        ["join_token.revoke", "jt1"],
        ["join_token.create", "jt1"],
      ]);
    });

    it("blocks a node at its beat once its join token is revoked; others beat on", async () => {
      await h.store.createJoinToken(joinToken(), { action: "join_token.create" });
      await h.store.registerNode(node(NODE_A, { joinTokenId: "jt1", pools: { gpu: 2 }, slots: 4 }));
      await h.store.registerNode(node(NODE_B));
      expect(await h.store.nodeBeat(NODE_A, true, NOW + 1)).toMatchObject({
        state: "active",
        blocked: null,
      });
      await h.store.revokeJoinToken("jt1", { actor: "cli:ops", at: NOW + 2 });
      expect(await h.store.nodeBeat(NODE_A, false, NOW + 3)).toMatchObject({
        blocked: "token_revoked",
      });
      expect(await h.store.nodeBeat(NODE_B, false, NOW + 3)).toMatchObject({ blocked: null });
      expect(await h.store.nodeBeat("unknown", false, NOW + 3)).toBeUndefined();
      const a = (await h.store.clusterView()).nodes.find((n) => n.id === NODE_A);
      expect(a).toMatchObject({
        pools: { gpu: 2 },
        slots: 4,
        joinTokenId: "jt1",
        progressAt: NOW + 1,
        blocked: "token_revoked",
      });
    });

    it("drains with a deadline on the store clock, undrains, audited; unknown nodes are not found", async () => {
      await h.store.registerNode(node(NODE_A));
      const drained = await h.store.drainNode(NODE_A, 30_000, {
        actor: "cli:ops",
        at: NOW,
        audit: { action: "node.drain" },
      });
      expect(drained.state).toBe("draining");
      const view = await h.store.clusterView();
      expect(drained.drainDeadline).toBeGreaterThanOrEqual(NOW + 30_000);
      expect(drained.drainDeadline).toBeLessThanOrEqual(view.now + 30_000);
      expect(await h.store.nodeBeat(NODE_A, false, NOW + 1)).toMatchObject({ state: "draining" });
      // from the moment it is recorded, before the node hears it: its claims take nothing
      const pipeline = soloPipeline();
      await submit(h.store, { pipeline });
      expect(await claim(h.store, { pipelines: [pipeline] })).toEqual([]);
      const back = await h.store.undrainNode(NODE_A, {
        actor: "cli:ops",
        at: NOW + 2,
        audit: { action: "node.undrain" },
      });
      expect(back).toMatchObject({ state: "active", drainDeadline: null });
      expect(await claim(h.store, { pipelines: [pipeline] })).toHaveLength(1);
      await expectKeelError(
        h.store.drainNode("nope", null, { actor: "x", at: NOW }),
        NotFoundError,
        "not_found",
      );
      const audit = (await h.store.listAudit({ limit: 10 })).entries.map((e) => e.action);
      expect(audit).toEqual(["node.undrain", "node.drain"]);
    });

    it("forgets only an offline node, its runs back to pending first; a live one is refused", async () => {
      await h.store.registerNode(node(NODE_A));
      const claimed = await claimedRun(h.store);
      await expectKeelError(
        h.store.forgetNode(NODE_A, { actor: "cli:ops", at: NOW }),
        NodeOnlineError,
        "node_online",
      );
      expect((await h.store.getRun(claimed.run.id))?.status).toBe("running");
      await h.store.setNodeState(NODE_A, "offline", NOW + 1);
      const forgotten = await h.store.forgetNode(NODE_A, {
        actor: "cli:ops",
        at: NOW + 2,
        audit: { action: "node.forget" },
      });
      expect(forgotten.released).toEqual([claimed.run.id]);
      expect((await h.store.getRun(claimed.run.id))?.status).toBe("pending");
      expect((await h.store.listNodes()).map((n) => n.id)).toEqual([]);
      await expectKeelError(
        h.store.forgetNode(NODE_A, { actor: "x", at: NOW }),
        NotFoundError,
        "not_found",
      );
    });
  });
}
