import { describe, expect, it } from "vitest";
import { startNode, useNodes } from "../integration/node-process.js";
import { doctor, findingOf, useHomes } from "./helpers.js";

describe("doctor: nodes", () => {
  const newHome = useHomes();
  const nodes = useNodes();

  it("finds a SIGSTOPped node by its late heartbeat, with the runs it holds", async () => {
    const { home, config } = newHome(
      "doctor:\n  heartbeat_max_age_ms: 1000\nnode:\n  heartbeat_ms: 200\n",
    );
    const node = startNode(home, config);
    nodes.push(node);
    await node.ready;
    const pid = node.child.pid!;
    expect(doctor(home, config, ["--only", "nodes"]).code).toBe(0);
    node.child.kill("SIGSTOP");
    try {
      await new Promise((r) => setTimeout(r, 1500));
      const { report, code } = doctor(home, config, ["--only", "nodes", "--api-timeout", "300"]);
      expect(code).toBe(2);
      const f = findingOf(report, "nodes");
      expect(f.summary).toMatch(
        new RegExp(
          `^node \\S+ \\(\\S+, pid ${pid}\\) last heartbeated .* ago and holds 0 run\\(s\\)$`,
        ),
      );
      expect(f.evidence).toMatchObject({ pid, state: "active", limit_ms: 1000 });
      expect(f.commands).toEqual([
        `ps -o pid,stat,etime,cmd -p ${pid}`,
        `kill -CONT ${pid}`,
        `keel stop --force --home ${home}`,
      ]);
    } finally {
      node.child.kill("SIGCONT");
    }
    // resumed, it heartbeats again
    await new Promise((r) => setTimeout(r, 1500));
    expect(doctor(home, config, ["--only", "nodes"]).code).toBe(0);
  }, 60_000);
});
