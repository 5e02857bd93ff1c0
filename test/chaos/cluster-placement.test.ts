// Three nodes offering different capabilities: each step runs only on a node that offers what it
// requires, the run handed from node to node; a node without a token is refused on PostgreSQL.
import { describe, expect, it } from "vitest";
import {
  effects,
  expectAllDoneOnce,
  useCluster,
  waitFor,
  fixturePipelines,
} from "./cluster-helpers.js";

const cluster = useCluster();

describe("cluster: placement across nodes of different capabilities", () => {
  it("runs gpu steps on the gpu node and embedding steps on the embedding node", async () => {
    const c = await cluster();
    const nodes = [
      c.start("plain", {}),
      c.start("gpu-host", { KEEL_NODE_CAPABILITIES: "gpu" }),
      c.start("embed-host", { KEEL_NODE_CAPABILITIES: "embedding" }),
    ];
    await Promise.all(nodes.map((n) => n.ready));
    const { placed } = await fixturePipelines();
    const runs = await c.client.submitMany(
      placed,
      Array.from({ length: 20 }, (_, n) => ({ n })) as never[],
    );
    await waitFor(
      async () => (await c.store.countRunsByStatus()).succeeded === runs.length,
      40_000,
      "every run succeeded",
    );
    await expectAllDoneOnce(c, runs, ["prep", "gpu", "embed", "save"]);
    const ran = effects(c);
    expect(new Set(ran.filter((e) => e.step === "gpu").map((e) => e.host))).toEqual(
      new Set(["gpu-host"]),
    );
    expect(new Set(ran.filter((e) => e.step === "embed").map((e) => e.host))).toEqual(
      new Set(["embed-host"]),
    );
  }, 60_000);

  it("refuses a node without a join token on PostgreSQL, saying how to get one", async () => {
    const c = await cluster();
    const node = c.start("tokenless", { KEEL_JOIN_TOKEN: "" });
    expect(await node.exited).not.toBe(0);
    expect(node.output()).toMatch(/join token/);
    expect(node.output()).toMatch(/keel nodes token create/);
  }, 30_000);
});
