import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/ops/config.js";
import { retentionSettings } from "../../src/ops/guard-settings.js";
import { configFile } from "./config-file.js";

describe("retention in keel.yaml", () => {
  it("keeps ended runs 30 days by default; the file and KEEL_RETENTION_* change it", () => {
    const plain = loadConfig(configFile("workers:\n  concurrency: 2\n"), {});
    expect(retentionSettings(plain)).toEqual({
      succeededDays: 30,
      cancelledDays: 30,
      batchSize: 500,
      pauseMs: 50,
      intervalMs: 60_000,
    });
    const file = configFile("retention:\n  succeeded_days: 7\n  cancelled_days: 0\n");
    expect(loadConfig(file, {}).retention).toMatchObject({ succeeded_days: 7, cancelled_days: 0 });
    const env = { KEEL_RETENTION_SUCCEEDED_DAYS: "2", KEEL_RETENTION_BATCH_SIZE: "100" };
    expect(loadConfig(file, env).retention).toMatchObject({
      succeeded_days: 2,
      cancelled_days: 0,
      batch_size: 100,
    });
  });

  it("refuses a negative age and an unknown key", () => {
    expect(() => loadConfig(configFile("retention:\n  succeeded_days: -1\n"), {})).toThrow(
      /retention.succeeded_days/,
    );
    expect(() => loadConfig(configFile("retention:\n  quarantined_days: 3\n"), {})).toThrow(
      /unknown key "quarantined_days"/,
    );
  });
});
