// Drain on one store with two nodes: the drained node claims nothing new from the moment the drain
// is recorded; past the drain's timeout, the runs it still runs go back to pending and finish on
// the other node; undrain lets it claim again.
import { describe, expect, it } from "vitest";
import { pipeline, step } from "../../src/index.js";
import { drainClusterNode, undrainClusterNode } from "../../src/ops/cluster.js";
import { gate, until, useHarness } from "./helpers.js";

const h = useHarness();
const fast = { leaseMs: 2000, heartbeatMs: 100, pollMs: 100 } as const;

describe("drain", () => {
  it("claims nothing new, gives back what still runs at the timeout, and undrains", async () => {
    const release = gate();
    h.onCleanup(release.open);
    let blocking = true;
    const slow = pipeline("slow", [
      step("s", async () => {
        if (blocking) await release.promise;
        return 1;
      }),
    ]);
    const a = await h.start({ pipelines: [slow], ...fast, concurrency: 2, nodeId: "node-a" });
    const first = await Promise.all([a.submit(slow, {}), a.submit(slow, {})]);
    await until(async () => (await a.list({ status: "running" })).runs.length === 2, {
      timeoutMs: 5000,
      message: "node-a runs two",
    });
    await drainClusterNode(a.store, "node-a", 300, "test");
    const later = await a.submit(slow, {});
    await new Promise((r) => setTimeout(r, 1000));
    // the drained node took nothing new; what it ran went back at the timeout
    expect((await a.get(later.id))?.status).toBe("pending");
    blocking = false;
    const b = await h.start({ pipelines: [slow], ...fast, nodeId: "node-b" });
    for (const run of [...first, later])
      expect((await b.wait(run.id, { timeoutMs: 10_000 })).status).toBe("succeeded");
    const trail = (await a.inspect(first[0]!.id)).transitions.map((t) => t.reason);
    expect(trail).toContain("drain_timeout");
    await undrainClusterNode(a.store, "node-a", "test");
    await b.stop();
    const again = await a.submit(slow, {});
    expect((await a.wait(again.id, { timeoutMs: 10_000 })).status).toBe("succeeded");
  });
});
