import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveReceivers, routeAlert } from "../../src/ops/alerts/receivers.js";
import { resolveRules } from "../../src/ops/alerts/rules.js";
import { alertRuleIds, ruleDefaults } from "../../src/ops/alerts/rule-defaults.js";
import { loadConfig } from "../../src/ops/config.js";
import { effectiveConfig } from "../../src/ops/config-show.js";
import { configFile } from "./config-file.js";

describe("alerts in keel.yaml", () => {
  it("ships a default for every rule, and overrides only what the file sets", () => {
    const config = loadConfig(
      configFile(`alerts:
  rules:
    queue_backlog: { threshold: 5000, for: 10m, labels: { team: ops } }
    throughput_floor: { enabled: false }
    step_p99_slo: { window: 90s, severity: critical }
`),
      {},
    );
    const rules = resolveRules(config.alerts);
    expect(rules.map((r) => r.id)).toEqual([...alertRuleIds]);
    expect(rules.find((r) => r.id === "queue_backlog")).toMatchObject({
      threshold: 5000,
      forMs: 600_000,
      severity: "warning",
      labels: { team: "ops" },
      enabled: true,
    });
    expect(rules.find((r) => r.id === "throughput_floor")?.enabled).toBe(false);
    expect(rules.find((r) => r.id === "step_p99_slo")).toMatchObject({
      windowMs: 90_000,
      severity: "critical",
      threshold: ruleDefaults.step_p99_slo.threshold,
    });
    expect(rules.find((r) => r.id === "heartbeat_late")?.threshold).toBe(30);
  });

  it("names the bad key: an unknown rule, a receiver without a secret, a URL, a duration", () => {
    const bad = (text: string) => () => loadConfig(configFile(text), {});
    expect(bad("alerts:\n  rules:\n    queue_backlg: { threshold: 1 }\n")).toThrow(
      /keel.yaml:3: alerts.rules.queue_backlg: unknown key "queue_backlg"; did you mean "queue_backlog"\?/,
    );
    expect(bad("alerts:\n  receivers:\n    ops: { url: http://127.0.0.1:9/ }\n")).toThrow(
      /alerts.receivers.ops.secret_env: give one of secret_env .* or secret_file/,
    );
    expect(bad("alerts:\n  receivers:\n    ops: { url: ftp://x/, secret_env: S }\n")).toThrow(
      /alerts.receivers.ops.url: must be an http:\/\/ or https:\/\/ URL/,
    );
    expect(bad("alerts:\n  rules:\n    run_stuck: { for: soon }\n")).toThrow(
      /alerts.rules.run_stuck.for: "soon" is not a duration/,
    );
    expect(bad("alerts:\n  rules:\n    run_stuck: { severity: page }\n")).toThrow(
      /alerts.rules.run_stuck.severity/,
    );
    expect(
      bad(
        "alerts:\n  lease_ms: 5000\n  receivers:\n    ops: { url: http://h/, secret_env: S, timeout_ms: 3000 }\n",
      ),
    ).toThrow(
      /alerts.receivers.ops.timeout_ms: timeout_ms \(3000\) must be at most half of alerts.lease_ms/,
    );
    expect(bad("alerts:\n  lease_ms: 1000\n  delivery: { drain_ms: 1000 }\n")).toThrow(
      /alerts.lease_ms: lease_ms \(1000\) must be at least twice delivery.drain_ms/,
    );
  });

  it("takes KEEL_ALERTS_* from the environment, a nested delivery key too", () => {
    const config = loadConfig(configFile("log: { level: warn }\n"), {
      KEEL_ALERTS_INTERVAL_MS: "500",
      KEEL_ALERTS_DELIVERY_DRAIN_MS: "200",
    });
    expect(config.alerts.interval_ms).toBe(500);
    expect(config.alerts.delivery.drain_ms).toBe(200);
  });

  it("reads a receiver's secret from the environment or a file, and refuses a missing one", () => {
    const file = configFile(`alerts:
  receivers:
    a: { url: "https://a.example/hook", secret_env: HOOK_A, severities: [critical] }
    b: { url: "https://b.example/hook", secret_file: b.secret, match: { team: ops } }
`);
    writeFileSync(join(dirname(file), "b.secret"), "from-a-file\n");
    const config = loadConfig(file, {});
    const receivers = resolveReceivers(config.alerts, file, { HOOK_A: "from-env" });
    expect(receivers.map((r) => [r.name, r.secret])).toEqual([
      ["a", "from-env"],
      ["b", "from-a-file"],
    ]);
    expect(() => resolveReceivers(config.alerts, file, {})).toThrow(
      /alerts.receivers.a: the HMAC secret from environment variable HOOK_A is empty or unset/,
    );
    // a command that only queues (not a node) does without it
    expect(resolveReceivers(config.alerts, file, {}, false)[0]?.secret).toBe("");
    // routing: severities, then every label of match
    expect(routeAlert(receivers, "critical", {}).map((r) => r.name)).toEqual(["a"]);
    expect(routeAlert(receivers, "warning", { team: "ops" }).map((r) => r.name)).toEqual(["b"]);
    expect(routeAlert(receivers, "warning", { team: "web" })).toEqual([]);
    // `keel config show` never prints where the secret is, nor a URL's path (a credential for some)
    expect(effectiveConfig(config, []).config.alerts).toMatchObject({
      receivers: {
        a: { secret_env: "********", url: "https://a.example/********" },
        b: { secret_file: "********", url: "https://b.example/********" },
      },
    });
  });
});
