import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { keel, type SubmittedRun } from "../../src/index.js";
import { startNode, writeConfig, type NodeProcess } from "../integration/node-process.js";
import { makeCpuCgroup, startHogs, type CpuCgroup, type Hogs } from "./cpu-faults.js";
import { expectStoreIntact, healthOf, nodeApi, waitFor } from "./helpers.js";

/**
 * CPU starvation made real: a `keel start` node runs CPU-bound steps while hogs (stress-ng, or
 * busy-looping processes) take every core and, where this machine allows it, its own cgroup gets a
 * quota of a fifth of a CPU. The node keeps making progress, its worker limit shrinks and its
 * health says why; low-priority runs wait; once the fault ends the limit grows back by itself,
 * health is healthy again, and every run succeeded with each checkpoint recorded once.
 */
const fixture = fileURLToPath(new URL("./fixtures/guard-pipelines.mjs", import.meta.url));
const home = mkdtempSync(join(tmpdir(), "keel-cpu-"));
let node: NodeProcess | undefined;
let hogs: Hogs | undefined;
let cgroup: CpuCgroup | undefined;

afterAll(async () => {
  await hogs?.stop();
  if (node && node.child.exitCode === null && node.child.signalCode === null) {
    node.child.kill("SIGKILL");
    await node.exited;
  }
  cgroup?.remove();
  rmSync(home, { recursive: true, force: true });
});

interface WorkersJson {
  adaptive: boolean;
  limit: number;
  max_workers: number;
  deferring: boolean;
  cgroup_stat: string | null;
  pressure: { active: boolean; reason: string | null; throttled_ratio: number | null };
}

async function workers(): Promise<WorkersJson> {
  return (await nodeApi(home, "/v1/status")).body.workers as WorkersJson;
}

const inputs = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => ({ n: from + i }));

describe("CPU starvation", () => {
  it("shrinks the worker limit under CPU hogs and a cgroup quota, keeps going, and grows back after", async () => {
    const made = makeCpuCgroup(`keel-chaos-${process.pid}`);
    if ("error" in made)
      console.warn(
        `cpu-starvation chaos test: no cgroup CPU quota here (${made.error}); CPU hogs alone`,
      );
    else cgroup = made;
    const config = writeConfig(
      home,
      [fixture],
      "workers:\n  min_workers: 1\n  max_workers: 4\n  defer_below_priority: 0\n",
    );
    node = startNode(home, config, { KEEL_LOG_LEVEL: "info" }, { cgroupProcs: cgroup?.procs });
    await node.ready;
    const client = keel({ home, logger: pino({ level: "silent" }) });
    const runs: SubmittedRun[] = [];
    try {
      if (cgroup) expect((await workers()).cgroup_stat).toBe(cgroup.stat);
      // calm: the node learns how long its steps take, at its full limit
      runs.push(...(await client.submitMany("cpu-work", inputs(0, 12), { priority: 1 })));
      for (const r of runs) await client.wait(r.id, { timeoutMs: 60_000 });
      await waitFor(
        async () => {
          const w = await workers();
          return w.adaptive && w.limit === 4 && !w.pressure.active;
        },
        30_000,
        "a calm node at its full limit before the fault",
      );

      hogs = startHogs();
      cgroup?.quota(0.2);
      const faultAt = performance.now();
      // the node stays busy for as long as the fault lasts: an idle node feels no pressure
      const during: SubmittedRun[] = [];
      const feed = async (): Promise<void> => {
        const pending = (await client.list({ status: "pending", limit: 200 })).runs;
        if (pending.filter((r) => r.priority > 0).length < 8) {
          const batch = await client.submitMany("cpu-work", inputs(100 + during.length, 8), {
            priority: 1,
          });
          during.push(...batch);
        }
      };
      await feed();
      const shrunk = await waitFor(
        async () => {
          await feed();
          const w = await workers();
          return w.limit < 4 && w.pressure.active ? w : null;
        },
        15_000,
        "the limit shrinks under pressure",
      );
      const shrinkMs = Math.round(performance.now() - faultAt);
      const health = await waitFor(
        async () => {
          await feed();
          const c = await healthOf(home, "workers");
          return c.status === "degraded" ? c : null;
        },
        5000,
        "workers health shows the pressure",
      );
      expect(health.reason).toMatch(/^CPU pressure: \d of at most 4 runs in flight \(.+\)/);
      // low priority waits while pressure lasts
      const low = await client.submitMany("cpu-work", inputs(1000, 4), { priority: -1 });
      let lowest = shrunk.limit;
      let throttled = 0;
      const pressed = await waitFor(
        async () => {
          await feed();
          const w = await workers();
          lowest = Math.min(lowest, w.limit);
          throttled = Math.max(throttled, w.pressure.throttled_ratio ?? 0);
          const done = (await client.list({ status: "succeeded", limit: 500 })).runs.filter((r) =>
            during.some((d) => d.id === r.id),
          ).length;
          const ms = performance.now() - faultAt;
          return ms > 3000 && done > 0 && w.deferring
            ? { w, done, s: Math.round(ms / 1000) }
            : null;
        },
        30_000,
        "runs keep finishing under the fault",
      );
      for (const r of low) expect((await client.get(r.id))?.status).toBe("pending");
      // the quota shows in the node's own cgroup counters
      if (cgroup) expect(throttled).toBeGreaterThanOrEqual(0.2);
      runs.push(...during, ...low);

      await hogs.stop();
      cgroup?.quota(null);
      const clearedAt = performance.now();
      await waitFor(
        async () => {
          const w = await workers();
          return w.limit === 4 && !w.pressure.active;
        },
        30_000,
        "the limit grows back once the fault ends",
      );
      const regrowMs = Math.round(performance.now() - clearedAt);
      await waitFor(
        async () => (await healthOf(home, "workers")).status === "healthy",
        5000,
        "workers health back to healthy",
      );
      for (const r of runs)
        expect((await client.wait(r.id, { timeoutMs: 60_000 })).status).toBe("succeeded");
      console.info(
        `cpu starvation (${hogs.kind}${cgroup ? `, cgroup ${cgroup.version} quota 0.2 CPU` : ""}): limit 4 -> ${shrunk.limit} after ${shrinkMs} ms (lowest ${lowest}, cgroup throttled up to ${Math.round(throttled * 100)}% of periods), ${pressed.done} runs done in the first ${pressed.s} s of the fault; back to 4 ${regrowMs} ms after it ended; reason: ${shrunk.pressure.reason}`,
      );
    } finally {
      await hogs?.stop();
      cgroup?.quota(null);
      await client.stop();
      node.child.kill("SIGTERM");
      await node.exited;
    }
    expect(node.output()).toMatch(/concurrency limit 4 -> \d: CPU pressure/);
    expectStoreIntact(home, runs.length, 2);
  }, 180_000);
});
