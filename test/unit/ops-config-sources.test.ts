import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/ops/config.js";
import { configFile } from "./config-file.js";

describe("sources in keel.yaml", () => {
  it("reads cron, interval and manual sources", () => {
    const config = loadConfig(
      configFile(`sources:
  nightly:
    pipeline: report
    cron: "0 3 * * *"
    timezone: UTC
    input: { region: eu }
  fast:
    pipeline: report
    every: 30s
  by-hand:
    pipeline: report
`),
      {},
    );
    expect(config.sources).toEqual({
      nightly: { pipeline: "report", cron: "0 3 * * *", timezone: "UTC", input: { region: "eu" } },
      fast: { pipeline: "report", every: "30s" },
      "by-hand": { pipeline: "report" },
    });
    expect(loadConfig(configFile("workers:\n  concurrency: 2\n"), {}).sources).toEqual({});
  });

  it("refuses a bad cron expression, naming the source, the expression and the line", () => {
    const file = configFile(`sources:\n  nightly:\n    pipeline: report\n    cron: "0 25 * * *"\n`);
    expect(() => loadConfig(file, {})).toThrow(
      /keel\.yaml:4: sources\.nightly\.cron: source "nightly": invalid cron expression "0 25 \* \* \*"/,
    );
  });

  it("refuses both cron and every, a bad duration and an unknown key", () => {
    expect(() =>
      loadConfig(
        configFile(`sources:\n  s:\n    pipeline: p\n    cron: "* * * * *"\n    every: 1s\n`),
        {},
      ),
    ).toThrow(/source "s" has both cron and every/);
    expect(() =>
      loadConfig(configFile(`sources:\n  s:\n    pipeline: p\n    every: soon\n`), {}),
    ).toThrow(/sources\.s\.every: source "s": "soon" is not a duration/);
    expect(() =>
      loadConfig(configFile(`sources:\n  s:\n    pipeline: p\n    every: 99999999999d\n`), {}),
    ).toThrow(/sources\.s\.every: .*36500d/);
    expect(() =>
      loadConfig(configFile(`sources:\n  s:\n    pipeline: p\n    crn: "* * * * *"\n`), {}),
    ).toThrow(/sources\.s\.crn: unknown key "crn"; did you mean "cron"\?/);
  });
});
