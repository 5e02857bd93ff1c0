// Nodes of different hosts, as near as one machine gets: one node runs in a network namespace of
// its own and reaches PostgreSQL over a veth link, beside two on the host. The link is deleted
// mid-load (a network partition: the node runs on, unsignalled, cut off): the others find it
// silent by its heartbeat and take its runs back after offline_after_ms; when the link returns,
// its late writes are fenced by the lease epoch, and it heartbeats and claims again. Nothing lost,
// each checkpoint once, `keel db check` clean.
//
// Making a namespace needs root with CAP_SYS_ADMIN and CAP_NET_ADMIN. Without them this test
// fails saying so, unless KEEL_TEST_NO_NETNS=1 asks to skip it (with a warning that says why).
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { listClusterNodes } from "../../src/ops/cluster.js";
import {
  claimsBy,
  endedOnce,
  heldBy,
  loadedCluster,
  nodeIdOf,
  submitWork,
  transitionsOf,
  useCluster,
  waitFor,
  type Cluster,
} from "./cluster-helpers.js";
import {
  forward,
  makeNamespace,
  netnsUnavailable,
  type Forwarder,
  type NetNamespace,
} from "./netns.js";

const cluster = useCluster();
let unavailable: string | null = null;
const made: { ns?: NetNamespace; forwarder?: Forwarder }[] = [];

beforeAll(() => {
  unavailable = netnsUnavailable();
});

afterEach(async () => {
  for (const { ns, forwarder } of made.splice(0)) {
    ns?.remove();
    await forwarder?.close();
  }
});

function requireNetns(ctx: { skip: (note?: string) => void }): void {
  if (unavailable === null) return;
  if (process.env.KEEL_TEST_NO_NETNS === "1") {
    console.warn(`cluster-netns: skipped (KEEL_TEST_NO_NETNS=1): ${unavailable}`);
    ctx.skip(unavailable);
    return;
  }
  throw new Error(
    `this machine cannot make a network namespace: ${unavailable}. Run the tests as root with those capabilities, or set KEEL_TEST_NO_NETNS=1 to skip this test`,
  );
}

/** a namespace, and the cluster's store URL as a node inside it reaches it: over the link */
async function farStore(c: Cluster): Promise<{ ns: NetNamespace; url: string }> {
  const ns = makeNamespace();
  const entry: (typeof made)[number] = { ns };
  made.push(entry);
  const url = new URL(c.storeUrl);
  entry.forwarder = await forward(ns.hostAddress, {
    host: url.hostname,
    port: Number(url.port || 5432),
  });
  url.hostname = ns.hostAddress;
  url.port = String(entry.forwarder.port);
  return { ns, url: url.toString() };
}

describe("cluster: a node in a network namespace of its own", () => {
  it("cut off by a partition: its runs return after offline_after_ms, its late writes are fenced", async (ctx) => {
    requireNetns(ctx);
    const c = await cluster();
    const { ns, url } = await farStore(c);
    const { nodes, runs } = await loadedCluster(c, {
      stepMs: 300,
      count: 45,
      hosts: ["h1", "far", "h3"],
      busy: "far",
      on: { far: { env: { KEEL_STORE: url }, prefix: ns.prefix } },
    });
    const far = await nodeIdOf(c, "far");
    const held = await heldBy(c, runs, far);
    expect(held.length, "far had runs in flight at the cut").toBeGreaterThan(0);

    const before = (await transitionsOf(c, runs)).at(-1)?.id ?? 0;
    ns.cut();
    // its last heartbeat: the others judge its silence from it (a loaded machine may have
    // delayed it well before the cut)
    const lastBeat = (await listClusterNodes(c.store)).nodes.find((n) => n.id === far)!.heartbeatAt;
    // its runs come back by its silence (or the end of their leases, renewed by the same
    // heartbeats), no sooner than offline_after_ms (1.5 s) after its last heartbeat; the process
    // is never touched. (A machine loaded enough to starve it may have taken some back before.)
    const returned = await waitFor(
      async () => {
        const back = (await transitionsOf(c, runs)).filter(
          (t) => t.id > before && (t.reason === "node_silent" || t.reason === "lease_expired"),
        );
        return back.length > 0 && back;
      },
      30_000,
      "far's runs returned",
    );
    for (const t of returned) {
      expect(t.at - lastBeat).toBeGreaterThanOrEqual(1500 - 100);
    }
    await waitFor(
      async () =>
        (await listClusterNodes(c.store)).nodes.find((n) => n.id === far)?.status === "offline",
      20_000,
      "far marked offline",
    );
    expect(nodes[1]!.child.exitCode).toBeNull();
    await new Promise((r) => setTimeout(r, 1500));

    ns.mend();
    await endedOnce(c, runs, 60_000);
    // what it finished while cut off was refused once the link was back, not recorded: from the
    // moment each of its runs was taken back, the store holds no transition it wrote for that run
    // (its writes fail the lease epoch; a step still running when it hears it lost the run is
    // stopped and writes nothing), until it claims the run again itself under a new epoch. Read
    // from the store, not the node's log: which of the two happens first after the mend is a race
    const after = await transitionsOf(c, runs);
    for (const back of returned) {
      const mine = after.filter((t) => t.runId === back.runId && t.id > back.id && t.actor === far);
      const reclaim = mine.findIndex((t) => t.reason === "claimed");
      const late = reclaim === -1 ? mine : mine.slice(0, reclaim);
      expect(late, `far wrote to ${back.runId} after it was taken back`).toEqual([]);
    }
    // and it is a member again: heartbeating, claiming
    await waitFor(
      async () =>
        (await listClusterNodes(c.store)).nodes.find((n) => n.id === far)?.status === "online",
      60_000,
      "far online again",
    );
    const more = await submitWork(c, 30);
    await endedOnce(c, more, 60_000);
    expect((await claimsBy(c, more, far)).length).toBeGreaterThan(0);
  }, 300_000);
});
