import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/ops/config.js";
import { maskSecrets } from "../../src/ops/config-show.js";
import { configFile } from "./config-file.js";

describe("tracing and log.file in keel.yaml", () => {
  it("is off by default, set from the file or KEEL_TRACING_OTLP_URL", () => {
    const plain = loadConfig(configFile("workers:\n  concurrency: 2\n"), {});
    expect(plain.tracing).toEqual({ service_name: "keel", headers: {} });
    expect(plain.log.file).toBeUndefined();
    const fromFile = loadConfig(
      configFile("tracing:\n  otlp_url: http://127.0.0.1:4318/v1/traces\nlog:\n  file: k.log\n"),
      {},
    );
    expect(fromFile.tracing.otlp_url).toBe("http://127.0.0.1:4318/v1/traces");
    expect(fromFile.log.file).toBe("k.log");
    const fromEnv = loadConfig(configFile("{}\n"), {
      KEEL_TRACING_OTLP_URL: "https://otel.example.com/v1/traces",
      KEEL_LOG_FILE: "/var/log/keel.log",
    });
    expect(fromEnv.tracing.otlp_url).toBe("https://otel.example.com/v1/traces");
    expect(fromEnv.log.file).toBe("/var/log/keel.log");
  });

  it("refuses an endpoint that is not http(s), naming the key, and masks the headers", () => {
    expect(() => loadConfig(configFile("tracing:\n  otlp_url: ftp://x\n"), {})).toThrow(
      /keel.yaml:2: tracing.otlp_url: an http\(s\) URL/,
    );
    const config = loadConfig(
      configFile("tracing:\n  headers:\n    authorization: Bearer s3cret\n"),
      {},
    );
    expect(maskSecrets(config)).toMatchObject({ tracing: { headers: "********" } });
  });
});
