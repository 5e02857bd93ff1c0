import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { keelCli } from "./keel-cli.js";
import { startNode, useNodes, writeConfig } from "./node-process.js";
import { WebhookReceiver } from "./webhook-receiver.js";

/**
 * `keel alerts` as an operator runs it: on the store with no node (list, show, silence and
 * unsilence, audited; bad flags and unknown rules refused), then beside a node: a viewer token may
 * read but not silence, a test notification reaches a real receiver signed, and health has an
 * alerts component. A node whose receiver's secret is missing refuses to start.
 */
const fixture = fileURLToPath(new URL("./fixtures/counted-pipelines.mjs", import.meta.url));
const homes: string[] = [];
const nodes = useNodes();

afterAll(() => {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

function newHome(): string {
  const home = mkdtempSync(join(tmpdir(), "keel-cli-alerts-"));
  homes.push(home);
  return home;
}

function json(home: string, args: string[], env: Record<string, string> = {}) {
  const result = keelCli(home, [...args, "--format", "json"], env);
  expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(0);
  return JSON.parse(result.stdout);
}

const receiverConfig = (url: string) =>
  `alerts:\n  receivers:\n    ops:\n      url: ${url}\n      secret_env: HOOK_SECRET\n`;

describe("keel alerts", () => {
  it("lists every rule, silences and unsilences one with the audit, refuses bad input", () => {
    const home = newHome();
    writeConfig(home, [fixture], "alerts:\n  rules:\n    run_stuck: { threshold: 600 }\n");
    const { alerts } = json(home, ["alerts", "list"]);
    expect(alerts).toHaveLength(17);
    expect(alerts.find((a: { rule: string }) => a.rule === "run_stuck")).toMatchObject({
      state: "inactive",
      threshold: 600,
      severity: "warning",
      silence: null,
    });
    expect(keelCli(home, ["alerts", "list"]).stdout).toMatch(
      /emergency_stop\s+inactive\s+critical/,
    );

    const silence = json(home, [
      "alerts",
      "silence",
      "disk_warn",
      "--for",
      "1h",
      "--reason",
      "disk swap, INC-7",
    ]);
    expect(silence).toMatchObject({ rule: "disk_warn", reason: "disk swap, INC-7" });
    expect(Date.parse(silence.until) - Date.parse(silence.at)).toBe(3_600_000);
    expect(json(home, ["alerts", "show", "disk_warn"])).toMatchObject({
      rule: "disk_warn",
      silence: { reason: "disk swap, INC-7" },
      history: [],
      evaluator: null,
    });
    expect(json(home, ["alerts", "unsilence", "disk_warn"]).ended.reason).toBe("disk swap, INC-7");
    expect(json(home, ["alerts", "unsilence", "disk_warn"]).ended).toBeNull();
    const { entries } = json(home, ["audit", "list"]);
    expect(entries.map((e: { action: string; target: string }) => [e.action, e.target])).toEqual([
      ["alert.unsilence", "disk_warn"],
      ["alert.silence", "disk_warn"],
    ]);

    const badFor = keelCli(home, [
      "alerts",
      "silence",
      "disk_warn",
      "--for",
      "soon",
      "--reason",
      "x",
    ]);
    expect(badFor.code).toBe(2);
    expect(badFor.stderr).toMatch(/body.for: "soon" is not a duration/);
    expect(keelCli(home, ["alerts", "silence", "disk_warn", "--for", "1h"]).code).toBe(2);
    const unknown = keelCli(home, ["alerts", "show", "disk_full"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(
      /alert rule "disk_full" not found; the rules are: queue_backlog/,
    );
    const nobody = keelCli(home, ["alerts", "test", "queue_backlog"]);
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toMatch(/no receiver is configured: add one under alerts.receivers/);
  }, 120_000);

  it("beside a node: viewers read, operators test; the test arrives signed at a real receiver", async () => {
    const home = newHome();
    const receiver = new WebhookReceiver("cli-secret");
    await receiver.up();
    const config = writeConfig(home, [fixture], receiverConfig(receiver.url));
    const node = startNode(home, config, { KEEL_SERVER_PORT: "0", HOOK_SECRET: "cli-secret" });
    nodes.push(node);
    await node.ready;
    const viewer = json(home, ["tokens", "create", "--role", "viewer", "--name", "grafana"]).token;
    expect(keelCli(home, ["--token", viewer, "alerts", "list"]).code).toBe(0);
    const refused = keelCli(home, [
      "--token",
      viewer,
      "alerts",
      "silence",
      "disk_warn",
      "--for",
      "1h",
      "--reason",
      "x",
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/forbidden/);

    const sent = json(home, ["alerts", "test", "emergency_stop"]);
    expect(sent.deliveries).toEqual([
      { receiver: "ops", delivery_id: expect.stringMatching(/^emergency_stop\.test\.\d+\.ops$/) },
    ]);
    const deadline = Date.now() + 20_000;
    while (receiver.received.length === 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(receiver.received[0]).toMatchObject({
      signed: true,
      delivery: sent.deliveries[0].delivery_id,
      json: { rule: "emergency_stop", state: "test", test: true, severity: "critical" },
    });
    const health = json(home, ["health", "check", "alerts"]);
    expect(health.components[0]).toMatchObject({ component: "alerts", status: "healthy" });
    node.child.kill("SIGTERM");
    expect(await node.exited).toBe(0);
    await receiver.down();
  }, 60_000);

  it("a node whose receiver's secret is unset refuses to start, naming it", async () => {
    const home = newHome();
    const config = writeConfig(home, [fixture], receiverConfig("http://127.0.0.1:9/hook"));
    const node = startNode(home, config, { KEEL_SERVER_PORT: "0", HOOK_SECRET: "" });
    nodes.push(node);
    expect(await node.exited).not.toBe(0);
    expect(node.output()).toMatch(
      /alerts.receivers.ops: the HMAC secret from environment variable HOOK_SECRET is empty or unset/,
    );
  });
});
