import { describe, expect, it } from "vitest";
import { keelCli } from "../integration/keel-cli.js";
import { startNode, useNodes } from "../integration/node-process.js";
import { doctor, findingOf, runFixCommand, until, useHomes } from "./helpers.js";

describe("doctor: sources", () => {
  const newHome = useHomes();
  const nodes = useNodes();

  it("finds a paused source with who and why; its resume command clears it", async () => {
    const { home, config } = newHome("sources:\n  hourly:\n    pipeline: quick\n    every: 1h\n");
    const node = startNode(home, config);
    nodes.push(node);
    await node.ready;
    expect(doctor(home, config, ["--only", "sources"]).code).toBe(0);
    expect(
      keelCli(home, [
        "sources",
        "pause",
        "hourly",
        "--reason",
        "upstream migration",
        "--config",
        config,
      ]).code,
    ).toBe(0);
    const f = findingOf(doctor(home, config, ["--only", "sources"]).report, "sources");
    expect(f.summary).toMatch(
      /^source hourly is paused for .* \(by \S+: upstream migration\); it creates no run$/,
    );
    expect(f.commands).toEqual([`keel sources resume hourly --home ${home}`]);
    expect(runFixCommand(f.commands[0]!, config).code).toBe(0);
    expect(doctor(home, config, ["--only", "sources"]).code).toBe(0);
  }, 60_000);

  it("finds a source whose tick is late because no node ticks it", async () => {
    const { home, config } = newHome(
      "sources:\n  often:\n    pipeline: quick\n    every: 1s\ndoctor:\n  tick_late_ms: 1000\n",
    );
    const node = startNode(home, config);
    nodes.push(node);
    await node.ready;
    node.child.kill("SIGKILL");
    await node.exited;
    await until(() => doctor(home, config, ["--only", "sources"]).code === 2);
    const f = findingOf(doctor(home, config, ["--only", "sources"]).report, "sources");
    expect(f.summary).toMatch(
      /^source often's tick due \d+\.\d s ago has not happened: no node ticks it$/,
    );
    expect(f.commands).toEqual([`keel status --home ${home}`, `keel start --home ${home}`]);
  }, 60_000);
});
