import { KeelError } from "../../core/errors/keel-error.js";
import { NotFoundError } from "../../core/errors/definition-errors.js";
import type { Keel } from "../../engine/keel.js";
import type {
  AlertEventRecord,
  AlertQueueSummary,
  AlertSilenceRecord,
  AlertStateRecord,
} from "../../store/alerts.js";
import { AlertAuditAction } from "../../store/alert-rows.js";
import { deliveryIdOf, type AlertNotification } from "./payload.js";
import { routeAlert } from "./receivers.js";
import { alertRuleIds, isAlertRuleId } from "./rule-defaults.js";
import { resolveRules, type ResolvedRule } from "./rules.js";
import { alertsOf } from "./service.js";

/**
 * What `keel alerts` and /v1/alerts do: the rules with their state and silence, one rule with its
 * history, silences (audited), and a test notification through the real outbox (audited).
 */
export interface AlertView {
  rule: ResolvedRule;
  state: AlertStateRecord | null;
  silence: AlertSilenceRecord | null;
}

export interface AlertDetails extends AlertView {
  history: AlertEventRecord[];
  queues: AlertQueueSummary[];
  evaluator: { holder: string; expiresAt: number } | null;
}

function rulesOf(keel: Keel): ResolvedRule[] {
  return alertsOf(keel)?.settings.rules ?? resolveRules({ rules: {} });
}

function ruleOf(keel: Keel, id: string): ResolvedRule {
  const rule = isAlertRuleId(id) ? rulesOf(keel).find((r) => r.id === id) : undefined;
  if (!rule) throw new NotFoundError("alert rule", id, `the rules are: ${alertRuleIds.join(", ")}`);
  return rule;
}

export async function listAlerts(keel: Keel, now = Date.now()): Promise<AlertView[]> {
  const states = new Map((await keel.store.listAlertStates()).map((s) => [s.rule, s]));
  const silences = new Map((await keel.store.listAlertSilences()).map((s) => [s.rule, s]));
  return rulesOf(keel).map((rule) => ({
    rule,
    state: states.get(rule.id) ?? null,
    silence: live(silences.get(rule.id), now),
  }));
}

const live = (s: AlertSilenceRecord | undefined, now: number): AlertSilenceRecord | null =>
  s && s.until > now ? s : null;

export async function showAlert(
  keel: Keel,
  id: string,
  historyLimit: number,
  now = Date.now(),
): Promise<AlertDetails> {
  const view = (await listAlerts(keel, now)).find((v) => v.rule.id === ruleOf(keel, id).id);
  const lease = await keel.store.getAlertLease();
  return {
    ...(view as AlertView),
    history: await keel.store.listAlertEvents({ rule: id, limit: historyLimit }),
    queues: await keel.store.alertQueues(),
    evaluator: lease && lease.expiresAt > now ? lease : null,
  };
}

export async function silenceAlert(
  keel: Keel,
  id: string,
  options: { forMs: number; reason: string; actor: string },
  now = Date.now(),
): Promise<AlertSilenceRecord> {
  ruleOf(keel, id);
  return keel.store.silenceAlert(id, now + options.forMs, {
    actor: options.actor,
    at: now,
    reason: options.reason,
    audit: { action: AlertAuditAction.silence },
  });
}

export async function unsilenceAlert(
  keel: Keel,
  id: string,
  options: { actor: string },
  now = Date.now(),
): Promise<AlertSilenceRecord | null> {
  ruleOf(keel, id);
  const ended = await keel.store.unsilenceAlert(id, {
    actor: options.actor,
    at: now,
    audit: { action: AlertAuditAction.unsilence },
  });
  return ended ?? null;
}

export interface TestResult {
  event: AlertEventRecord;
  deliveries: { receiver: string; delivery_id: string }[];
}

/**
 * Queues a synthetic notification of the rule to every receiver its severity and labels route to,
 * through the outbox the evaluator drains: the same path, signature and retries as a real alert.
 */
export async function testAlert(
  keel: Keel,
  id: string,
  options: { actor: string },
  now = Date.now(),
): Promise<TestResult> {
  const rule = ruleOf(keel, id);
  const receivers = alertsOf(keel)?.settings.receivers ?? [];
  const labels = { ...rule.labels, rule: rule.id, severity: rule.severity };
  const routed = routeAlert(receivers, rule.severity, labels);
  if (routed.length === 0)
    throw new KeelError(
      "no_alert_receiver",
      receivers.length === 0
        ? "no receiver is configured: add one under alerts.receivers in keel.yaml (docs/alerts.md)"
        : `no receiver takes ${rule.severity} alerts with labels ${JSON.stringify(labels)}: check severities and match under alerts.receivers`,
    );
  const summary = `test notification for ${rule.id}, sent by ${options.actor}`;
  const deliveries = routed.map((r) => {
    const deliveryId = deliveryIdOf(rule.id, "test", now, r.name);
    const payload: AlertNotification = {
      version: 1,
      delivery_id: deliveryId,
      rule: rule.id,
      state: "test",
      severity: rule.severity,
      summary,
      value: null,
      threshold: rule.threshold,
      labels,
      since: new Date(now).toISOString(),
      test: true,
    };
    return { deliveryId, receiver: r.name, payload: payload as never };
  });
  const event = await keel.store.recordAlertNotice(
    {
      rule: rule.id,
      from: "inactive",
      to: "test" as never,
      at: now,
      value: null,
      summary,
      severity: rule.severity,
      labels,
      actor: options.actor,
    },
    deliveries,
    { actor: options.actor, at: now, audit: { action: AlertAuditAction.test } },
  );
  // a running evaluator on this node sends it now rather than at its next drain
  void alertsOf(keel)?.tick();
  return {
    event,
    deliveries: deliveries.map((d) => ({ receiver: d.receiver, delivery_id: d.deliveryId })),
  };
}
