import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { keel } from "../../src/index.js";
import { makeCpuCgroup, startHogs, type Hogs } from "../chaos/cpu-faults.js";
import { keelCli } from "../integration/keel-cli.js";
import { startNode, useNodes, writeConfig } from "../integration/node-process.js";
import { doctor, useHomes, type DoctorFinding } from "./helpers.js";

const guardFixture = fileURLToPath(
  new URL("../chaos/fixtures/guard-pipelines.mjs", import.meta.url),
);

/**
 * The cpu check against a real fault: a node runs CPU-bound steps while busy loops take every
 * core and, where this machine allows one, its own cgroup gets a fifth of a CPU. Its pressure
 * signals are real (event-loop delay, step latency, throttling), so are the cuts of its
 * worker limit; doctor reports them through the node's API.
 */
describe("doctor: cpu", () => {
  const newHome = useHomes();
  const nodes = useNodes();

  it("reports real CPU pressure and the worker limit it cut", async () => {
    const made = makeCpuCgroup(`keel-doctor-cpu-${process.pid}`);
    const cgroup = "error" in made ? undefined : made;
    if (!cgroup) console.warn(`doctor cpu test: no cgroup CPU quota here; CPU hogs alone`);
    const { home } = newHome();
    const config = writeConfig(
      home,
      [guardFixture],
      "workers:\n  min_workers: 1\n  max_workers: 4\n  defer_below_priority: 0\n",
    );
    const node = startNode(home, config, {}, { cgroupProcs: cgroup?.procs });
    nodes.push(node);
    const client = keel({ home, logger: pino({ level: "silent" }) });
    let hogs: Hogs | undefined;
    try {
      await node.ready;
      // calm: the node learns how long its steps take
      const calm = await client.submitMany(
        "cpu-work",
        Array.from({ length: 6 }, (_, n) => ({ n })),
      );
      for (const r of calm) await client.wait(r.id, { timeoutMs: 60_000 });

      hogs = startHogs();
      cgroup?.quota(0.2);
      // an idle node feels no pressure: keep it busy while the fault lasts
      let fed = 0;
      let found: DoctorFinding | undefined;
      let last = "";
      const deadline = Date.now() + 60_000;
      while (!found && Date.now() < deadline) {
        // steps long enough (tens of ms of CPU each) that the node is still busy when doctor asks
        const pending = (await client.list({ status: "pending", limit: 100 })).runs.length;
        if (pending < 20)
          fed += (
            await client.submitMany(
              "cpu-work",
              Array.from({ length: 20 }, (_, i) => ({ n: 100 + fed + i, loops: 30_000_000 })),
            )
          ).length;
        const { report, result } = doctor(home, config, [
          "--only",
          "cpu",
          "--api-timeout",
          "20000",
        ]);
        last = `${JSON.stringify(report)} ${result.stderr}`;
        found = report.findings.find((f) => f.check === "cpu" && (f.evidence.limit as number) < 4);
        if (!found) await new Promise((r) => setTimeout(r, 500));
      }
      if (!found) {
        const status = keelCli(home, [
          "status",
          "--verbose",
          "--format",
          "json",
          "--config",
          config,
        ]);
        expect.fail(
          `no cpu finding with a cut limit in 60 s of the fault: ${last} ${status.stdout}`,
        );
      }
      const f = found;
      expect(f.severity).toBe("warning");
      expect(f.summary).toMatch(
        /^the node is under CPU pressure \(.+\): [1-3] of up to 4 runs at once(, runs below priority 0 wait)?$/,
      );
      expect(f.evidence).toMatchObject({ min: 1, max: 4 });
      expect(f.evidence.last_change).toMatchObject({ to: f.evidence.limit });
      expect(f.commands).toEqual([
        `keel status --verbose --home ${home}`,
        `keel health check workers --verbose --home ${home}`,
        "top -b -n 1 | head -20",
      ]);
    } finally {
      await hogs?.stop();
      cgroup?.quota(null);
      await client.stop();
      node.child.kill("SIGKILL");
      await node.exited;
      cgroup?.remove();
    }
  }, 180_000);
});
