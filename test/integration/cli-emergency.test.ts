import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { keelCli } from "./keel-cli.js";

describe("keel emergency", () => {
  it("turns on with a reason, shows it, turns off, and audits both", () => {
    const home = mkdtempSync(join(tmpdir(), "keel-cli-emergency-"));
    expect(
      JSON.parse(keelCli(home, ["emergency", "status", "--format", "json"]).stdout),
    ).toMatchObject({ on: false });

    const missing = keelCli(home, ["emergency", "on"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--reason/);

    const on = keelCli(home, [
      "emergency",
      "on",
      "--reason",
      "bad deploy",
      "--abort",
      "--format",
      "json",
    ]);
    expect(on.code, on.stderr).toBe(0);
    expect(JSON.parse(on.stdout)).toMatchObject({ on: true, reason: "bad deploy", abort: true });
    expect(keelCli(home, ["emergency", "status"]).stdout).toMatch(/ON: no step starts/);

    const off = JSON.parse(
      keelCli(home, ["emergency", "off", "--reason", "rolled back", "--format", "json"]).stdout,
    );
    expect(off).toMatchObject({ on: false });
    const audit = JSON.parse(keelCli(home, ["audit", "list", "--format", "json"]).stdout);
    const actions = (audit.entries as { action: string }[]).map((e) => e.action);
    expect(actions).toEqual(["emergency.off", "emergency.on"]);
  });
});
