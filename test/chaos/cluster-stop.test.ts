// A node SIGSTOPped longer than offline_after_ms, then SIGCONTed: the others take its runs back
// (fenced by a new lease epoch), so what it writes when it wakes is refused. Nothing lost, each
// checkpoint once, and the woken node goes on claiming work.
import { describe, expect, it } from "vitest";
import {
  effects,
  expectAllDoneOnce,
  useCluster,
  waitFor,
  fixturePipelines,
} from "./cluster-helpers.js";

const cluster = useCluster();

describe("cluster: a node stopped past offline_after_ms", () => {
  it("has its late writes fenced, and every run finishes once", async () => {
    const c = await cluster();
    const nodes = ["h1", "h2", "h3"].map((h) => c.start(h, { KEEL_TEST_STEP_MS: "300" }));
    await Promise.all(nodes.map((n) => n.ready));
    const { work } = await fixturePipelines();
    const runs = await c.client.submitMany(
      work,
      Array.from({ length: 30 }, (_, n) => ({ n })) as never[],
    );
    await waitFor(
      async () => effects(c).filter((e) => e.host === "h2").length >= 2,
      20_000,
      "h2 ran steps",
    );
    const sleeper = nodes[1]!;
    sleeper.child.kill("SIGSTOP");
    // well past offline_after_ms (1.5 s) and the leases (2 s)
    await new Promise((r) => setTimeout(r, 3500));
    const taken = (await Promise.all(runs.map((r) => c.store.listTransitions(r.id))))
      .flat()
      .filter((t) => t.reason === "node_silent" || t.reason === "lease_expired");
    expect(taken.length).toBeGreaterThan(0);
    sleeper.child.kill("SIGCONT");
    await waitFor(
      async () => (await c.store.countRunsByStatus()).succeeded === runs.length,
      40_000,
      "every run succeeded",
    );
    await expectAllDoneOnce(c, runs, ["a", "b", "c"]);
    // its writes for the runs taken from it were refused, not recorded
    await waitFor(async () => sleeper.output().includes("lease lost"), 10_000, "h2 fenced");
    expect(sleeper.child.exitCode).toBeNull();
  }, 60_000);
});
