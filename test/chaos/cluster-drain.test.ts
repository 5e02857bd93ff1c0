// Drain under load: the drained node finishes what it runs and claims nothing new; with a timeout,
// what it still runs goes back to pending and finishes elsewhere. A revoked join token stops a node
// claiming at its next heartbeat.
import { describe, expect, it } from "vitest";
import { drainClusterNode, listClusterNodes } from "../../src/ops/cluster.js";
import { revokeJoinToken } from "../../src/ops/join-tokens.js";
import { expectAllDoneOnce, useCluster, waitFor, fixturePipelines } from "./cluster-helpers.js";

const cluster = useCluster();

async function nodeId(c: Awaited<ReturnType<typeof cluster>>, host: string): Promise<string> {
  return waitFor(
    async () => (await listClusterNodes(c.store)).nodes.find((n) => n.host === host)?.id,
    10_000,
    `node ${host} registered`,
  );
}

describe("cluster: drain", () => {
  it("a drained node claims nothing new; past its timeout its runs go back and finish elsewhere", async () => {
    const c = await cluster();
    const nodes = ["h1", "h2", "h3"].map((h) => c.start(h, { KEEL_TEST_STEP_MS: "400" }));
    await Promise.all(nodes.map((n) => n.ready));
    const { work } = await fixturePipelines();
    const runs = await c.client.submitMany(
      work,
      Array.from({ length: 30 }, (_, n) => ({ n })) as never[],
    );
    const h1 = await nodeId(c, "h1");
    await waitFor(
      async () =>
        (await c.store.listRuns({ status: "running", limit: 100 })).runs.some(
          (r) => r.nodeId === h1,
        ),
      20_000,
      "h1 runs something",
    );
    const drainedAt = Date.now();
    await drainClusterNode(c.store, h1, 600, "test", "chaos drain");
    await waitFor(
      async () => (await c.store.countRunsByStatus()).succeeded === runs.length,
      45_000,
      "every run succeeded",
    );
    await expectAllDoneOnce(c, runs, ["a", "b", "c"]);
    const trails = (await Promise.all(runs.map((r) => c.store.listTransitions(r.id)))).flat();
    // a beat (200 ms) and a claim in progress after the drain at most, then nothing
    const late = trails.filter(
      (t) => t.actor === h1 && t.reason === "claimed" && t.at > drainedAt + 1000,
    );
    expect(late).toEqual([]);
    expect(trails.some((t) => t.reason === "drain_timeout")).toBe(true);
    expect((await listClusterNodes(c.store)).nodes.find((n) => n.id === h1)?.status).toBe(
      "draining",
    );
  }, 60_000);

  it("a node whose join token is revoked stops claiming at its next heartbeat", async () => {
    const c = await cluster();
    const node = c.start("h1", { KEEL_TEST_STEP_MS: "20" });
    await node.ready;
    const h1 = await nodeId(c, "h1");
    const [token] = await c.store.listJoinTokens();
    await revokeJoinToken(c.store, token!.id, "test", "host retired");
    await waitFor(
      async () =>
        (await listClusterNodes(c.store)).nodes.find((n) => n.id === h1)?.blocked ===
        "token_revoked",
      5000,
      "h1 blocked",
    );
    const { work } = await fixturePipelines();
    const run = await c.client.submit(work, { n: 1 } as never);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await c.store.getRun(run.id))?.status).toBe("pending");
    const audit = (await c.store.listAudit({ limit: 20 })).entries.map((e) => e.action);
    expect(audit).toEqual(
      expect.arrayContaining(["join_token.revoke", "node.blocked", "node.join"]),
    );
  }, 60_000);
});
