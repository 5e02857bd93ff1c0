import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { startNode, useNodes } from "../integration/node-process.js";
import { doctor, findingOf, useHomes } from "./helpers.js";

describe("doctor: config-drift", () => {
  const newHome = useHomes();
  const nodes = useNodes();

  it("finds keel.yaml edited since the node started, key by key", async () => {
    const { home, config } = newHome("retry:\n  max_attempts: 3\n");
    const node = startNode(home, config);
    nodes.push(node);
    await node.ready;
    expect(doctor(home, config, ["--only", "config-drift"]).code).toBe(0);
    const original = readFileSync(config, "utf8");
    writeFileSync(
      config,
      original.replace("max_attempts: 3", "max_attempts: 9") + "log:\n  level: debug\n",
    );
    const f = findingOf(doctor(home, config, ["--only", "config-drift"]).report, "config-drift");
    expect(f.summary).toMatch(
      /changed since the node \(pid \d+\) started: log\.level \(unset\) -> "debug", retry\.max_attempts 3 -> 9; the node runs with the old values$/,
    );
    expect(f.evidence.changed).toEqual([
      { key: "log.level", started: null, now: '"debug"' },
      { key: "retry.max_attempts", started: "3", now: "9" },
    ]);
    expect(f.commands[0]).toBe(`keel config validate ${config} --home ${home}`);
    // the edit undone: nothing drifts
    writeFileSync(config, original);
    expect(doctor(home, config, ["--only", "config-drift"]).code).toBe(0);
  }, 60_000);
});
