// A node SIGSTOPped longer than offline_after_ms, then SIGCONTed: the others take its runs back
// (fenced by a new lease epoch), so what it writes when it wakes is refused. Nothing lost, each
// checkpoint once, and the woken node goes on claiming work.
import { describe, expect, it } from "vitest";
import { endedOnce, loadedCluster, transitionsOf, useCluster, waitFor } from "./cluster-helpers.js";

const cluster = useCluster();

describe("cluster: a node stopped past offline_after_ms", () => {
  it("has its late writes fenced, and every run finishes once", async () => {
    const c = await cluster();
    const { nodes, runs } = await loadedCluster(c, { stepMs: 300, count: 30 });
    const sleeper = nodes[1]!;
    sleeper.child.kill("SIGSTOP");
    // stopped until the others took its runs back: past offline_after_ms (1.5 s) or the leases
    // (2 s), as soon as the others (slowed by the machine's load) get to it
    await waitFor(
      async () =>
        (await transitionsOf(c, runs)).some(
          (t) => t.reason === "node_silent" || t.reason === "lease_expired",
        ),
      30_000,
      "h2's runs taken back",
    );
    sleeper.child.kill("SIGCONT");
    await endedOnce(c, runs);
    // its writes for the runs taken from it were refused, not recorded
    await waitFor(async () => sleeper.output().includes("lease lost"), 10_000, "h2 fenced");
    expect(sleeper.child.exitCode).toBeNull();
  }, 60_000);
});
