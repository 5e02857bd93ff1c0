import { describe, expect, it } from "vitest";
import { keelCli } from "../integration/keel-cli.js";
import { doctor, findingOf, useHomes } from "./helpers.js";

describe("doctor: stuck-pending", () => {
  const newHome = useHomes();

  it("finds runs due long ago and says why nothing claims them", async () => {
    const { home, config } = newHome("doctor:\n  pending_max_age_ms: 1000\n");
    for (let i = 0; i < 3; i++)
      expect(keelCli(home, ["submit", "quick", "--input", "{}", "--config", config]).code).toBe(0);
    await new Promise((r) => setTimeout(r, 1200));
    const { report, code } = doctor(home, config, ["--only", "stuck-pending"]);
    expect(code).toBe(2);
    const f = findingOf(report, "stuck-pending");
    expect(f.summary).toMatch(/^3 run\(s\) have been due .* no node is online to claim them$/);
    expect(f.evidence).toMatchObject({ runs: 3, by_pipeline: { quick: 3 } });
    expect(f.evidence.run_ids).toHaveLength(3);
    expect(f.commands).toContain(`keel start --home ${home}`);

    // the emergency stop comes first: starting a node would not help
    keelCli(home, ["emergency", "on", "--reason", "maintenance", "--config", config]);
    const stopped = findingOf(
      doctor(home, config, ["--only", "stuck-pending"]).report,
      "stuck-pending",
    );
    expect(stopped.summary).toMatch(/the emergency stop is on \(maintenance\)$/);
    expect(stopped.commands[0]).toBe(`keel emergency off --home ${home}`);
  });
});
