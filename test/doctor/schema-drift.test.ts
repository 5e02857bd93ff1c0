import { hostname } from "node:os";
import { describe, expect, it } from "vitest";
import { openStore } from "../../src/store/open-store.js";
import { startNode, useNodes } from "../integration/node-process.js";
import { doctor, findingOf, useHomes } from "./helpers.js";

describe("doctor: schema-drift", () => {
  const newHome = useHomes();
  const nodes = useNodes();

  it("finds nodes of one store running different keel versions", async () => {
    const { home, config } = newHome();
    const node = startNode(home, config);
    nodes.push(node);
    await node.ready;
    expect(doctor(home, config, ["--only", "schema-drift"]).code).toBe(0);
    // a node of an older release joins the same store (as a node process registers itself)
    const store = openStore({ home });
    await store.registerNode({
      id: "node_old",
      host: hostname(),
      pid: process.pid,
      capabilities: [],
      version: "0.0.1",
      now: Date.now(),
    });
    await store.close();
    const f = findingOf(doctor(home, config, ["--only", "schema-drift"]).report, "schema-drift");
    expect(f.summary).toMatch(
      /^the store's nodes run 2 keel versions \(.*0\.0\.1.*\); 1 node\(s\) are behind /,
    );
    expect(f.commands[1]).toMatch(/^# on \S+: upgrade keel to \S+, then restart node node_old /);
  }, 60_000);
});
