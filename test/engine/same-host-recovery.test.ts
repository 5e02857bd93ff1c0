// A node on this host dies while another runs: its runs come back as soon as its process is gone
// (a look at the kernel every pidCheckMs), not at the next sweep of the store. The "dead node" is a
// real child process registered as a node; the survivor's sweep is made too slow to matter.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { hostname } from "node:os";
import { describe, expect, it } from "vitest";
import { processIdentity } from "../../src/engine/process-identity.js";
import { pipeline, step, type Keel } from "../../src/index.js";
import type { ProcessIdentity } from "../../src/store/records.js";
import { claimAsNode, describeTransitions, useHarness } from "./helpers.js";

const h = useHarness();
const slowSweep = { leaseMs: 60_000, heartbeatMs: 30_000, pollMs: 30_000 } as const;
const p = pipeline("same-host", [step("s", (_c, i: { n: number }) => i.n * 2)]);

async function sleeper(): Promise<ChildProcess> {
  const child = spawn("sleep", ["30"], { stdio: "ignore" });
  h.onCleanup(() => child.kill("SIGKILL"));
  await new Promise((resolve) => child.once("spawn", resolve));
  return child;
}

/** a run submitted and claimed by a node registered with `pid` and `process` */
async function heldBy(client: Keel, pid: number, process: ProcessIdentity | null): Promise<string> {
  const run = await client.submit(p, { n: 21 });
  const node = { id: "other-node", host: hostname(), pid, process };
  const claimed = await claimAsNode(client.store, node, p.name, {
    leaseMs: 60_000,
    now: Date.now(),
  });
  expect(claimed.map((c) => c.run.id)).toEqual([run.id]);
  return run.id;
}

describe.runIf(process.platform === "linux")("same-host recovery", () => {
  it("returns a dead node's runs within the pid check, long before the next sweep", async () => {
    const child = await sleeper();
    const pid = child.pid as number;
    const client = h.make({ pipelines: [p] });
    const runId = await heldBy(client, pid, processIdentity(pid));

    const k = await h.start({ pipelines: [p], ...slowSweep });
    // alive at the start sweep: its run is left alone
    await new Promise((r) => setTimeout(r, 300));
    expect((await k.get(runId))?.status).toBe("running");
    expect(k.deadNodes).toEqual([]);

    const killedAt = Date.now();
    child.kill("SIGKILL");
    const done = await k.wait(runId, { timeoutMs: 5000 });
    expect(done.status).toBe("succeeded");
    const { transitions } = await k.inspect(runId);
    const release = transitions.find((t) => t.reason === "node_dead");
    // the sweep is 30 s away; the 100 ms pid check finds it (loose bound for a busy machine)
    expect(release?.at).toBeLessThan(killedAt + 1500);
    expect(k.deadNodes).toEqual([
      expect.objectContaining({
        nodeId: "other-node",
        pid,
        cause: "process_gone",
        runsReturned: 1,
      }),
    ]);
    expect((await k.store.listNodes()).find((n) => n.id === "other-node")?.state).toBe("offline");
  });

  it("takes a live pid whose process started at another time for a dead node (pid reused)", async () => {
    const child = await sleeper();
    const pid = child.pid as number;
    const identity = processIdentity(pid) as ProcessIdentity;
    const client = h.make({ pipelines: [p] });
    const runId = await heldBy(client, pid, { ...identity, start: identity.start - 1 });

    const k = await h.start({ pipelines: [p], ...slowSweep });
    expect((await k.wait(runId, { timeoutMs: 5000 })).status).toBe("succeeded");
    expect(describeTransitions((await k.inspect(runId)).transitions)).toContain(
      "run:running->pending:node_dead",
    );
    expect(k.deadNodes[0]).toMatchObject({ nodeId: "other-node", cause: "pid_reused" });
  });

  it("leaves a node of another pid space to its heartbeat, though its host name is this one's", async () => {
    const gone = spawnSync(process.execPath, ["-e", ""]).pid as number;
    const client = h.make({ pipelines: [p] });
    // another container with the same host name: its pid means nothing here
    const runId = await heldBy(client, gone, { space: "another-boot/pid:[1]", start: 7 });

    const k = await h.start({ pipelines: [p], ...slowSweep });
    await new Promise((r) => setTimeout(r, 300));
    expect((await k.get(runId))?.status).toBe("running");
    expect(k.deadNodes).toEqual([]);
  });

  it("with pidCheckMs 0, finds the dead node only at its next sweep", async () => {
    const child = await sleeper();
    const pid = child.pid as number;
    const client = h.make({ pipelines: [p] });
    const runId = await heldBy(client, pid, processIdentity(pid));

    const k = await h.start({ pipelines: [p], ...slowSweep, pidCheckMs: 0 });
    child.kill("SIGKILL");
    await new Promise((r) => setTimeout(r, 600));
    expect((await k.get(runId))?.status).toBe("running");
  });
});
