// A revoked join token stops a node claiming at its next heartbeat, audited (a drain, which holds a
// node the same way, is in cluster-drain.test.ts).
import { describe, expect, it } from "vitest";
import { listClusterNodes } from "../../src/ops/cluster.js";
import { revokeJoinToken } from "../../src/ops/join-tokens.js";
import { nodeIdOf, submitWork, useCluster, waitFor } from "./cluster-helpers.js";

const cluster = useCluster();

describe("cluster: join tokens", () => {
  it("a node whose join token is revoked stops claiming at its next heartbeat", async () => {
    const c = await cluster();
    const node = c.start("h1", { KEEL_TEST_STEP_MS: "20" });
    await node.ready;
    const h1 = await nodeIdOf(c, "h1");
    const [token] = await c.store.listJoinTokens();
    await revokeJoinToken(c.store, token!.id, "test", "host retired");
    await waitFor(
      async () =>
        (await listClusterNodes(c.store)).nodes.find((n) => n.id === h1)?.blocked ===
        "token_revoked",
      5000,
      "h1 blocked",
    );
    const [run] = await submitWork(c, 1);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await c.store.getRun(run!.id))?.status).toBe("pending");
    const audit = (await c.store.listAudit({ limit: 20 })).entries.map((e) => e.action);
    expect(audit).toEqual(
      expect.arrayContaining(["join_token.revoke", "node.blocked", "node.join"]),
    );
  }, 60_000);
});
