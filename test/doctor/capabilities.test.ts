import { describe, expect, it } from "vitest";
import { keelJson } from "../integration/keel-cli.js";
import { startNode, useNodes } from "../integration/node-process.js";
import { doctor, findingOf, runFixCommand, useHomes } from "./helpers.js";

describe("doctor: capabilities", () => {
  const newHome = useHomes();
  const nodes = useNodes();

  it("names runs waiting for a capability no live node offers; its cancel commands take exactly them", async () => {
    const { home, config } = newHome("doctor:\n  pending_max_age_ms: 1000\n");
    const node = startNode(home, config);
    nodes.push(node);
    await node.ready;
    const submit = (pipeline: string) =>
      keelJson(home, ["submit", pipeline, "--input", "{}", "--config", config]).id as string;
    const waiting = [submit("render"), submit("render"), submit("render")];
    const plain = submit("slow");
    await new Promise((r) => setTimeout(r, 1200));

    const { report, code } = doctor(home, config, ["--only", "capabilities"]);
    expect(code).toBe(2);
    const f = findingOf(report, "capabilities");
    expect(f.severity).toBe("problem");
    expect(f.summary).toMatch(
      /^3 run\(s\) wait for gpu, which no live node offers \(the oldest due \d+\.\d s ago\)$/,
    );
    expect(f.evidence).toMatchObject({ requires: ["gpu"], pool: null, runs: 3 });
    expect([...(f.evidence.run_ids as string[])].sort()).toEqual([...waiting].sort());
    expect(f.evidence.oldest_age_ms as number).toBeGreaterThanOrEqual(1000);
    const reason = `--reason "no node offers gpu"`;
    expect(f.commands).toEqual([
      `keel start --capabilities gpu --home ${home}`,
      `keel jobs cancel --filter status=pending,requires=gpu ${reason} --dry-run --home ${home}`,
      `keel jobs cancel --filter status=pending,requires=gpu ${reason} --home ${home}`,
    ]);

    const listed = runFixCommand(f.commands[1]!, config);
    expect(listed.code).toBe(0);
    for (const id of waiting) expect(listed.stdout).toContain(id);
    expect(listed.stdout).not.toContain(plain);
    expect(runFixCommand(f.commands[2]!, config).code).toBe(0);
    expect(doctor(home, config, ["--only", "capabilities"]).code).toBe(0);
    const cancelled = keelJson(home, ["jobs", "list", "--status", "cancelled", "--config", config]);
    expect((cancelled.runs as { id: string }[]).map((r) => r.id).sort()).toEqual(
      [...waiting].sort(),
    );
  }, 120_000);
});
