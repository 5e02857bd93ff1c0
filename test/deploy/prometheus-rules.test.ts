import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { requireTool } from "./tools.js";

// deploy/prometheus/keel-rules.yml checked by promtool, and each rule's promtool unit tests
// (keel-rules.test.yml: firing and not firing) run.

const dir = join(import.meta.dirname, "../../deploy/prometheus");
const rulesFile = join(dir, "keel-rules.yml");
const testsFile = join(dir, "keel-rules.test.yml");

/** keel's alert rule ids and their Prometheus twins */
const ruleIds = [
  "queue_backlog",
  "oldest_due_age",
  "quarantine_growth",
  "step_error_rate",
  "step_p99_slo",
  "run_stuck",
  "breaker_open",
  "emergency_stop",
  "disk_warn",
  "disk_paused",
  "no_node_online",
  "capability_unserved",
  "heartbeat_late",
  "throughput_floor",
  "webhook_failing",
  "store_damaged",
  "gate_wait",
];
const twin = (id: string) =>
  `Keel${id.replace(/(^|_)([a-z0-9])/g, (_m, _s, c: string) => c.toUpperCase())}`.replace(
    "P99Slo",
    "P99SLO",
  );

interface Rule {
  alert: string;
  labels: { severity: string; rule: string };
}

function promtool(...args: string[]): string {
  try {
    return execFileSync(requireTool("promtool"), args, { cwd: dir, encoding: "utf8" });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `promtool ${args.join(" ")} failed:\n${e.stdout ?? ""}${e.stderr ?? e.message}`,
    );
  }
}

describe("deploy/prometheus/keel-rules.yml", () => {
  it("passes promtool check rules", () => {
    expect(promtool("check", "rules", rulesFile)).toMatch(/SUCCESS: 17 rules found/);
  });

  it("passes its promtool unit tests", () => {
    expect(promtool("test", "rules", testsFile)).toMatch(/SUCCESS/);
  });

  it("has every keel alert rule, named as keel names it, with a severity", () => {
    const rules = (
      parse(readFileSync(rulesFile, "utf8")) as { groups: { rules: Rule[] }[] }
    ).groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.labels.rule).sort()).toEqual([...ruleIds].sort());
    for (const r of rules) {
      expect(r.alert).toBe(twin(r.labels.rule));
      expect(["warning", "critical"]).toContain(r.labels.severity);
    }
  });

  it("unit-tests each rule firing and not firing", () => {
    type Check = { alertname: string; exp_alerts: unknown[] };
    const checks = (
      parse(readFileSync(testsFile, "utf8")) as { tests: { alert_rule_test: Check[] }[] }
    ).tests.flatMap((t) => t.alert_rule_test);
    for (const id of ruleIds) {
      const mine = checks.filter((c) => c.alertname === twin(id));
      expect(
        mine.some((c) => c.exp_alerts.length > 0),
        `${twin(id)} firing`,
      ).toBe(true);
      expect(
        mine.some((c) => c.exp_alerts.length === 0),
        `${twin(id)} not firing`,
      ).toBe(true);
    }
  });
});
