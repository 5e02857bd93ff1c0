import { describe, expect, it } from "vitest";
import { keelCli } from "../integration/keel-cli.js";
import { doctor, findingOf, useHomes } from "./helpers.js";

describe("doctor: emergency", () => {
  const newHome = useHomes();

  it("names the emergency stop with who, why and the command that turns it off", () => {
    const { home, config } = newHome();
    expect(keelCli(home, ["submit", "quick", "--input", "{}", "--config", config]).code).toBe(0);
    expect(
      keelCli(home, ["emergency", "on", "--reason", "bad deploy", "--config", config]).code,
    ).toBe(0);
    const { report, code } = doctor(home, config, ["--only", "emergency"]);
    expect(code).toBe(2);
    const f = findingOf(report, "emergency");
    expect(f.severity).toBe("problem");
    expect(f.summary).toContain("bad deploy");
    expect(f.evidence).toMatchObject({ reason: "bad deploy", pending: 1 });
    const off = f.commands.find((c) => c.includes("emergency off"))!;
    expect(off).toBe(`keel emergency off --home ${home}`);
    // the command it names is the fix
    expect(keelCli(home, [...off.split(" ").slice(1), "--config", config]).code).toBe(0);
    const after = doctor(home, config, ["--only", "emergency"]);
    expect(after.code).toBe(0);
    expect(after.report.findings).toEqual([]);
  });

  it("refuses an unknown check by name, listing the checks", () => {
    const { home, config } = newHome();
    const result = keelCli(home, ["doctor", "--only", "dsik", "--config", config]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown check "dsik"; checks: store, emergency, disk/);
  });
});
