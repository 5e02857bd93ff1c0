import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startNode, useNodes } from "../integration/node-process.js";
import { doctor, findingOf, useHomes } from "./helpers.js";

describe("doctor: pidfile", () => {
  const newHome = useHomes();
  const nodes = useNodes();

  it("finds the pidfile a SIGKILLed node left, and --fix removes it", async () => {
    const { home, config } = newHome();
    const node = startNode(home, config);
    nodes.push(node);
    await node.ready;
    expect(doctor(home, config, ["--only", "pidfile"]).code).toBe(0);
    node.child.kill("SIGKILL");
    await node.exited;
    const pidfile = join(home, "keel.pid");
    expect(existsSync(pidfile)).toBe(true);
    const f = findingOf(doctor(home, config, ["--only", "pidfile"]).report, "pidfile");
    expect(f.commands[0]).toBe(`rm ${pidfile}`);
    const fixed = doctor(home, config, ["--only", "pidfile", "--fix"]);
    expect(fixed.code).toBe(0);
    expect(fixed.report.fixes).toEqual([
      expect.objectContaining({ id: "pidfile.remove", ok: true, result: `removed ${pidfile}` }),
    ]);
    expect(existsSync(pidfile)).toBe(false);
  });
});
