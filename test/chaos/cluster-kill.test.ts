// Three nodes of three host identities on one PostgreSQL schema; one is SIGKILLed mid-load. No
// same-host pid check applies across host identities: the others find it silent by its heartbeat
// (on the database clock) and take its runs back by themselves. Nothing lost, each checkpoint once.
import { describe, expect, it } from "vitest";
import { listClusterNodes } from "../../src/ops/cluster.js";
import {
  effects,
  expectAllDoneOnce,
  useCluster,
  waitFor,
  fixturePipelines,
} from "./cluster-helpers.js";

const cluster = useCluster();

describe("cluster: a node SIGKILLed", () => {
  it("its runs return by heartbeat timeout and finish elsewhere, each checkpoint once", async () => {
    const c = await cluster();
    const nodes = ["h1", "h2", "h3"].map((h) => c.start(h, { KEEL_TEST_STEP_MS: "60" }));
    await Promise.all(nodes.map((n) => n.ready));
    const { work } = await fixturePipelines();
    const runs = await c.client.submitMany(
      work,
      Array.from({ length: 60 }, (_, n) => ({ n })) as never[],
    );
    // h2 has runs in flight when it dies
    await waitFor(
      async () => effects(c).filter((e) => e.host === "h2").length >= 3,
      20_000,
      "h2 ran steps",
    );
    const victim = nodes[1]!;
    victim.child.kill("SIGKILL");
    const killedAt = Date.now();
    await waitFor(
      async () => (await c.store.countRunsByStatus()).succeeded === runs.length,
      40_000,
      "every run succeeded",
    );
    await expectAllDoneOnce(c, runs, ["a", "b", "c"]);
    const { nodes: seen } = await listClusterNodes(c.store);
    const dead = seen.find((n) => n.host === "h2");
    expect(dead?.status).toBe("offline");
    // its runs came back by the silence of its heartbeat (or the end of their leases), by itself
    const returned = (await Promise.all(runs.map(async (r) => c.store.listTransitions(r.id))))
      .flat()
      .filter((t) => t.reason === "node_silent" || t.reason === "lease_expired");
    for (const t of returned) expect(t.at).toBeGreaterThanOrEqual(killedAt);
    expect(returned.length).toBeGreaterThan(0);
  }, 60_000);
});
