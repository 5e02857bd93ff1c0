// Drain under load, with real node processes on real PostgreSQL: three nodes of three host
// identities share a load of three-step runs, and `keel nodes drain` is run on one of them
// mid-load. From then on it claims nothing; it finishes its runs in flight, or, past a short
// --timeout, gives them back and the others finish them. Nothing lost, each checkpoint once,
// `keel db check` clean; undrained, it claims again.
import { describe, expect, it } from "vitest";
import { listClusterNodes } from "../../src/ops/cluster.js";
import type { RunRecord } from "../../src/store/records.js";
import {
  claimsBy,
  heldBy,
  endedOnce,
  loadedCluster,
  nodeIdOf,
  submitWork,
  transitionsOf,
  useCluster,
  waitFor,
  type Cluster,
} from "./cluster-helpers.js";
import type { NodeProcess } from "../integration/node-process.js";

const cluster = useCluster();
// wide enough that a node slowed by the machine's load is never taken for silent: here only the
// drain may take runs from it
const windows = { offlineAfterMs: 8000, leaseMs: 10_000 };

/**
 * `keel nodes drain` through the CLI, then the node's own word that it heard it (at its next
 * heartbeat). Returns the runs it held as the drain was recorded, and the newest transition id
 * once it heard it: it claims nothing after that id.
 */
async function drain(
  c: Cluster,
  node: NodeProcess,
  id: string,
  runs: RunRecord[],
  flags: string[] = [],
): Promise<{ mark: number; held: string[] }> {
  const result = c.cli([
    "nodes",
    "drain",
    id,
    "--reason",
    "chaos drill",
    ...flags,
    "--format",
    "json",
  ]);
  expect(result.code, result.stderr).toBe(0);
  expect(JSON.parse(result.stdout)).toMatchObject({ id, status: "draining" });
  const held = await heldBy(c, runs, id);
  await waitFor(async () => node.output().includes("node draining"), 10_000, `${id} heard it`);
  const mark = (await transitionsOf(c, runs)).at(-1)?.id ?? 0;
  return { mark, held };
}

describe("cluster: a node drained under load", () => {
  it("claims nothing after the drain, finishes its runs in flight, and claims again once undrained", async () => {
    const c = await cluster(windows);
    const { nodes, runs } = await loadedCluster(c, { stepMs: 500, count: 90 });
    const h2 = await nodeIdOf(c, "h2");
    const { mark, held } = await drain(c, nodes[1]!, h2, runs);
    expect(held.length, "h2 had runs in flight at the drain").toBeGreaterThan(0);

    await endedOnce(c, runs);
    const trail = await transitionsOf(c, runs);
    expect(await claimsBy(c, runs, h2, mark)).toEqual([]);
    expect(trail.filter((t) => t.reason === "drain_timeout")).toEqual([]);
    // what it held, it finished itself: each held run's end is written by h2
    for (const id of held) {
      const end = trail.find((t) => t.runId === id && t.step === null && t.to === "succeeded");
      expect(end?.actor, `run ${id}`).toBe(h2);
    }
    expect((await listClusterNodes(c.store)).nodes.find((n) => n.id === h2)?.status).toBe(
      "draining",
    );

    const undrained = c.cli(["nodes", "undrain", h2]);
    expect(undrained.code, undrained.stderr).toBe(0);
    const more = await submitWork(c, 30);
    await endedOnce(c, more);
    expect((await claimsBy(c, more, h2)).length).toBeGreaterThan(0);
  }, 240_000);

  it("past a short --timeout gives its runs back to pending, and the others finish them once", async () => {
    const c = await cluster(windows);
    // steps longer than the drain's timeout: what h2 runs cannot finish in time
    const { nodes, runs } = await loadedCluster(c, { stepMs: 2500, count: 24 });
    const h2 = await nodeIdOf(c, "h2");
    const { mark, held } = await drain(c, nodes[1]!, h2, runs, ["--timeout", "1s"]);
    expect(held.length, "h2 had runs in flight at the drain").toBeGreaterThan(0);

    await endedOnce(c, runs, 90_000);
    const trail = await transitionsOf(c, runs);
    expect(await claimsBy(c, runs, h2, mark)).toEqual([]);
    const returned = trail.filter((t) => t.reason === "drain_timeout");
    expect(returned.length).toBeGreaterThan(0);
    for (const t of returned) expect(t.actor).toBe(h2);
    // each run it gave back ended on another node
    for (const id of new Set(returned.map((t) => t.runId))) {
      const end = trail.find((t) => t.runId === id && t.step === null && t.to === "succeeded");
      expect(end?.actor, `run ${id}`).not.toBe(h2);
    }
    expect(nodes[1]!.output()).toMatch(/drain timed out/);
  }, 240_000);
});
