import { describe, expect, it } from "vitest";
import { keelJson } from "../integration/keel-cli.js";
import { startNode, useNodes } from "../integration/node-process.js";
import { doctor, findingOf, runFixCommand, until, useHomes } from "./helpers.js";

describe("doctor: stalled-nodes", () => {
  const newHome = useHomes();
  const nodes = useNodes();

  it("finds a node whose step hangs while it heartbeats on and work waits; drain takes it out", async () => {
    const { home, config } = newHome(
      "cluster:\n  stuck_after_ms: 1000\nworkers:\n  concurrency: 1\nnode:\n  heartbeat_ms: 200\n",
    );
    const node = startNode(home, config);
    nodes.push(node);
    await node.ready;
    const pid = node.child.pid!;
    const submit = () =>
      keelJson(home, ["submit", "hang", "--input", "{}", "--config", config]).id as string;
    // one runs and hangs; the other waits for the node's only slot
    const ids = [submit(), submit()];
    await until(() => doctor(home, config, ["--only", "stalled-nodes"]).code === 2, 60_000);

    const { report } = doctor(home, config, ["--only", "stalled-nodes,nodes"]);
    // its heartbeat is on time: the late-heartbeat check sees nothing wrong
    expect(report.findings.map((f) => f.check)).toEqual(["stalled-nodes"]);
    const f = findingOf(report, "stalled-nodes");
    expect(f.severity).toBe("problem");
    expect(f.summary).toMatch(
      new RegExp(
        `^node (\\S+) \\(\\S+, pid ${pid}\\) heartbeats but finished no step for \\d+\\.\\d s while it holds 1 running run\\(s\\) and work waits$`,
      ),
    );
    const nodeId = f.evidence.node as string;
    const held = f.evidence.runs_held as string[];
    expect(held).toHaveLength(1);
    expect(ids).toContain(held[0]);
    expect(f.evidence).toMatchObject({ pid, limit_ms: 1000, last_progress_at: null });
    expect(f.evidence.quiet_ms as number).toBeGreaterThanOrEqual(1000);
    expect(f.commands).toEqual([
      `keel jobs show ${held[0]} --home ${home}`,
      `keel nodes drain ${nodeId} --timeout 60s --reason "finishes nothing" --home ${home}`,
      `keel stop --force --home ${home}`,
      `keel start --home ${home}`,
      `keel jobs cancel ${held[0]} --reason "hung on node ${nodeId}" --home ${home}`,
    ]);

    expect(runFixCommand(f.commands[1]!, config).code).toBe(0);
    expect(doctor(home, config, ["--only", "stalled-nodes"]).code).toBe(0);
    expect(runFixCommand(f.commands[4]!, config).code).toBe(0);
    const run = keelJson(home, ["jobs", "show", held[0]!, "--config", config]);
    expect(run.status).toBe("cancelled");
  }, 120_000);
});
