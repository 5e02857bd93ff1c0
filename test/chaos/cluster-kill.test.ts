// Three nodes of three host identities on one PostgreSQL schema; one is SIGKILLed mid-load. No
// same-host pid check applies across host identities: the others find it silent by its heartbeat
// (on the database clock) and take its runs back by themselves. Nothing lost, each checkpoint once.
import { describe, expect, it } from "vitest";
import { listClusterNodes } from "../../src/ops/cluster.js";
import { endedOnce, loadedCluster, transitionsOf, useCluster } from "./cluster-helpers.js";

const cluster = useCluster();

describe("cluster: a node SIGKILLed", () => {
  it("its runs return by heartbeat timeout and finish elsewhere, each checkpoint once", async () => {
    const c = await cluster();
    // h2 has runs in flight when it dies
    const { nodes, runs } = await loadedCluster(c, { stepMs: 60, count: 60, busySteps: 3 });
    nodes[1]!.child.kill("SIGKILL");
    const killedAt = Date.now();
    await endedOnce(c, runs);
    const { nodes: seen } = await listClusterNodes(c.store);
    const dead = seen.find((n) => n.host === "h2");
    expect(dead?.status).toBe("offline");
    // its runs came back by the silence of its heartbeat (or the end of their leases), by itself
    const returned = (await transitionsOf(c, runs)).filter(
      (t) => t.reason === "node_silent" || t.reason === "lease_expired",
    );
    for (const t of returned) expect(t.at).toBeGreaterThanOrEqual(killedAt);
    expect(returned.length).toBeGreaterThan(0);
  }, 60_000);
});
