import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { keel, pipeline, step, type Keel } from "../../src/index.js";
import { alertsConfigSchema } from "../../src/ops/alerts/alert-config.js";
import { listAlerts, silenceAlert, testAlert } from "../../src/ops/alerts/actions.js";
import { attachAlerts } from "../../src/ops/alerts/service.js";
import { signBody, verifySignature } from "../../src/ops/alerts/signature.js";
import { nextAlertState } from "../../src/ops/alerts/transition.js";
import { renderBody } from "../../src/ops/alerts/payload.js";
import { checkAlertHealth } from "../../src/ops/health/alerts.js";
import { createMetrics } from "../../src/ops/metrics/registry.js";

const T0 = Date.UTC(2026, 11, 7, 12, 0, 0);
const open: Keel[] = [];
const homes: string[] = [];

afterEach(async () => {
  for (const k of open.splice(0)) await k.stop();
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

const noop = pipeline("noop", [step("only", async () => ({}))]);

/** a Keel on a fresh SQLite store (no node: runs stay pending) with alerts attached */
function withAlerts(alerts: unknown) {
  const home = mkdtempSync(join(tmpdir(), "keel-alerts-unit-"));
  homes.push(home);
  const k = keel({ home, pipelines: [noop], logger: pino({ level: "silent" }) });
  open.push(k);
  const runtime = attachAlerts(k, alertsConfigSchema.parse(alerts), null, {
    requireSecrets: true,
    env: { PAGER: "pager-secret", CHAT: "chat-secret" },
  });
  return { k, runtime };
}

const receivers = {
  pager: { url: "http://127.0.0.1:9/pager", secret_env: "PAGER", severities: ["critical"] },
  chat: { url: "http://127.0.0.1:9/chat", secret_env: "CHAT", format: "slack" },
};

describe("the rule state machine", () => {
  it("goes pending, fires after for:, resolves; a pending rule that clears tells nobody", () => {
    expect(nextAlertState("inactive", 0, true, 60_000, 0)).toBe("pending");
    expect(nextAlertState("pending", 0, true, 60_000, 59_999)).toBeNull();
    expect(nextAlertState("pending", 0, true, 60_000, 60_000)).toBe("firing");
    expect(nextAlertState("firing", 0, true, 60_000, 1e9)).toBeNull();
    expect(nextAlertState("firing", 0, false, 60_000, 1e9)).toBe("resolved");
    expect(nextAlertState("pending", 0, false, 60_000, 1)).toBe("inactive");
    expect(nextAlertState("resolved", 0, true, 0, 1)).toBe("firing");
    expect(nextAlertState("resolved", 0, false, 0, 1)).toBeNull();
  });
});

describe("the signature", () => {
  it("verifies the body with its timestamp, and refuses a changed body, timestamp or an old one", () => {
    const body = '{"rule":"queue_backlog"}';
    const signature = signBody("s3cret", 1_800_000_000, body);
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    const check = (sig: string, ts: string, b: string, now = 1_800_000_010) =>
      verifySignature("s3cret", { signature: sig, timestamp: ts }, b, now);
    expect(check(signature, "1800000000", body)).toBe(true);
    expect(check(signature, "1800000000", body.replace("queue", "Queue"))).toBe(false);
    expect(check(signature, "1800000001", body)).toBe(false);
    expect(check(signature, "1800000000", body, 1_800_000_000 + 301)).toBe(false);
    expect(
      verifySignature("other", { signature, timestamp: "1800000000" }, body, 1_800_000_000),
    ).toBe(false);
  });

  it("a Slack receiver gets one line of text", () => {
    const text = JSON.parse(
      renderBody(
        {
          rule: "disk_paused",
          state: "firing",
          severity: "critical",
          summary: "92 % used",
          labels: { node: "n1" },
          test: false,
        },
        "slack",
      ),
    ) as { text: string };
    expect(text).toEqual({ text: "[FIRING] disk_paused (critical): 92 % used {node=n1}" });
  });
});

describe("evaluating the rules", () => {
  it("queue_backlog goes pending, fires after for: to the receivers its severity routes to, then resolves", async () => {
    const { k, runtime } = withAlerts({
      receivers,
      // no node runs here: no_node_online would fire too
      rules: { queue_backlog: { threshold: 2, for: "1m" }, no_node_online: { enabled: false } },
    });
    await k.submitMany(noop, [{}, {}, {}]);
    await runtime.evaluate(T0);
    const state = async () =>
      (await listAlerts(k, T0)).find((v) => v.rule.id === "queue_backlog")?.state;
    expect(await state()).toMatchObject({ state: "pending", value: 3 });
    await runtime.evaluate(T0 + 30_000);
    expect((await state())?.state).toBe("pending");
    await runtime.evaluate(T0 + 60_000);
    expect(await state()).toMatchObject({
      state: "firing",
      labels: { pipeline: "noop", rule: "queue_backlog", severity: "warning" },
    });
    // a warning: the chat receiver only (the pager takes critical ones)
    const queues = await k.store.alertQueues();
    expect(queues.map((q) => [q.receiver, q.head.deliveryId])).toEqual([
      ["chat", `queue_backlog.firing.${T0 + 60_000}.chat`],
    ]);
    expect(queues[0]?.head.payload).toMatchObject({
      rule: "queue_backlog",
      state: "firing",
      value: 3,
      threshold: 2,
      summary: "3 runs pending in pipeline noop (threshold 2)",
      test: false,
    });
    const metrics = createMetrics(k, { storeCacheMs: 0 });
    const scraped = await metrics.scrape(undefined);
    metrics.close();
    expect(scraped).toMatch(/keel_alerts_firing\{rule="queue_backlog",severity="warning"\} 1/);
    expect(scraped).toMatch(/keel_alerts_firing\{rule="disk_warn",severity="warning"\} 0/);
    expect(scraped).toMatch(/keel_alert_outbox_depth 1/);
    // health: degraded once the receiver's oldest delivery failed three times
    const head = queues[0]!.head;
    expect((await checkAlertHealth(k.store)).status).toBe("healthy");
    for (let i = 0; i < 3; i++)
      await k.store.finishAlertDelivery(head.id, {
        kind: "retry",
        at: T0,
        nextAt: T0,
        error: "HTTP 502",
      });
    expect(await checkAlertHealth(k.store)).toMatchObject({
      status: "degraded",
      reason: expect.stringMatching(
        /webhook deliveries failing: chat \(1 queued, 3 failed attempts: HTTP 502\)/,
      ),
      details: { firing: ["queue_backlog"], queued: 1 },
    });
    const { runs } = await k.list({ status: "pending", limit: 10 });
    for (const run of runs) await k.cancel(run.id, "drain the queue");
    await runtime.evaluate(T0 + 90_000);
    expect((await state())?.state).toBe("resolved");
    expect((await k.store.alertQueues())[0]?.queued).toBe(2);
  });

  it("a silenced rule changes state but queues nothing; a test goes through the outbox, audited", async () => {
    const { k, runtime } = withAlerts({ receivers });
    await silenceAlert(
      k,
      "emergency_stop",
      { forMs: 3_600_000, reason: "drill", actor: "cli:ann" },
      T0,
    );
    await k.emergencyOn({ reason: "drill", actor: "cli:ann" });
    await runtime.evaluate(T0 + 1000);
    const [event] = await k.store.listAlertEvents({ rule: "emergency_stop", limit: 1 });
    expect(event).toMatchObject({ to: "firing", queued: 0 });
    expect(await k.store.alertQueues()).toEqual([]);

    const test = await testAlert(k, "emergency_stop", { actor: "cli:bob" }, T0 + 2000);
    expect(test.deliveries.map((d) => d.receiver)).toEqual(["pager", "chat"]);
    expect((await k.store.alertQueues()).map((q) => q.head.payload)).toMatchObject([
      { state: "test", test: true },
      { state: "test", test: true },
    ]);
    const audit = (await k.store.listAudit({ limit: 5 })).entries.map((e) => [e.action, e.actor]);
    expect(audit).toContainEqual(["alert.test", "cli:bob"]);
    expect(audit).toContainEqual(["alert.silence", "cli:ann"]);
    await expect(testAlert(k, "no_such_rule", { actor: "x" })).rejects.toThrow(
      /alert rule "no_such_rule" not found; the rules are: queue_backlog/,
    );
  });

  it("refuses a test no receiver takes, naming what to change", async () => {
    const { k } = withAlerts({ receivers: { pager: receivers.pager } });
    await expect(testAlert(k, "queue_backlog", { actor: "x" })).rejects.toMatchObject({
      code: "no_alert_receiver",
      message: expect.stringMatching(/no receiver takes warning alerts/),
    });
    expect(await k.store.listAlertEvents({ limit: 5 })).toEqual([]);
  });
});
