import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/ops/config.js";
import { configFile } from "./config-file.js";

describe("breakers in keel.yaml", () => {
  it("reads each breaker's policy; unset keys keep the defaults in code", () => {
    const config = loadConfig(
      configFile(`breakers:
  embedding-api:
    failure_threshold: 3
    recovery_timeout_ms: 30000
    half_open_requests: 1
  ocr: {}
`),
      {},
    );
    expect(config.breakers).toEqual({
      "embedding-api": { failure_threshold: 3, recovery_timeout_ms: 30_000, half_open_requests: 1 },
      ocr: {},
    });
    expect(loadConfig(configFile("workers:\n  concurrency: 2\n"), {}).breakers).toEqual({});
  });

  it("refuses an unknown key (a probe cannot be configured in a file) and a bad value", () => {
    const typo = configFile("breakers:\n  api:\n    failure_treshold: 3\n");
    expect(() => loadConfig(typo, {})).toThrow(
      /keel.yaml:3: breakers.api.failure_treshold: unknown key "failure_treshold"; did you mean "failure_threshold"\?/,
    );
    const probe = configFile("breakers:\n  api:\n    probe: http://x\n");
    expect(() => loadConfig(probe, {})).toThrow(/unknown key "probe"/);
    const zero = configFile("breakers:\n  api:\n    half_open_requests: 0\n");
    expect(() => loadConfig(zero, {})).toThrow(/breakers.api.half_open_requests/);
  });
});
