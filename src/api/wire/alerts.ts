import * as z from "zod";
import type { AlertDetails, AlertView, TestResult } from "../../ops/alerts/actions.js";
import type { AlertEventRecord, AlertSilenceRecord } from "../../store/alerts.js";

/**
 * The stable JSON of `keel alerts` (docs/cli.md) and `/v1/alerts`: each rule with its settings,
 * its state (inactive when it never left it) and its silence; `show` adds the history, the
 * outbox's queues and the node that evaluates.
 */
export function alertJson(v: AlertView) {
  return {
    rule: v.rule.id,
    enabled: v.rule.enabled,
    severity: v.rule.severity,
    state: v.state?.state ?? "inactive",
    since: iso(v.state?.since ?? null),
    value: v.state?.value ?? null,
    summary: v.state?.summary ?? null,
    labels: v.state?.labels ?? v.rule.labels,
    threshold: v.rule.threshold,
    unit: v.rule.unit,
    for_ms: v.rule.forMs,
    window_ms: v.rule.windowMs,
    description: v.rule.description,
    silence: v.silence && silenceJson(v.silence),
  };
}

export function silenceJson(s: AlertSilenceRecord) {
  return { rule: s.rule, until: iso(s.until), reason: s.reason, actor: s.actor, at: iso(s.at) };
}

function eventJson(e: AlertEventRecord) {
  return {
    id: e.id,
    from: e.from,
    to: e.to,
    at: iso(e.at),
    value: e.value,
    summary: e.summary,
    actor: e.actor,
    /** deliveries queued for it */
    queued: e.queued,
  };
}

export function alertDetailsJson(d: AlertDetails) {
  return {
    ...alertJson(d),
    history: d.history.map(eventJson),
    queues: d.queues.map((q) => ({
      receiver: q.receiver,
      queued: q.queued,
      oldest: {
        delivery_id: q.head.deliveryId,
        created_at: iso(q.head.createdAt),
        attempts: q.head.attempts,
        next_at: iso(q.head.nextAt),
        last_error: q.head.lastError,
      },
    })),
    evaluator: d.evaluator && { node: d.evaluator.holder, lease_until: iso(d.evaluator.expiresAt) },
  };
}

export function testJson(rule: string, t: TestResult) {
  return { rule, event_id: t.event.id, deliveries: t.deliveries };
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

const time = z.string().nullable();
export const silenceSchema = z.object({
  rule: z.string(),
  until: time,
  reason: z.string(),
  actor: z.string(),
  at: time,
});

const alertShape = {
  rule: z.string(),
  enabled: z.boolean(),
  severity: z.string(),
  state: z.enum(["inactive", "pending", "firing", "resolved"]),
  since: time,
  value: z.number().nullable(),
  summary: z.string().nullable(),
  labels: z.record(z.string(), z.string()),
  threshold: z.number(),
  unit: z.string(),
  for_ms: z.number(),
  window_ms: z.number(),
  description: z.string(),
  silence: silenceSchema.nullable(),
};

export const alertSchema = z.object(alertShape);
export const alertListSchema = z.object({ alerts: z.array(alertSchema) });
export const alertDetailsSchema = z.object({
  ...alertShape,
  history: z.array(
    z.object({
      id: z.number(),
      from: z.string(),
      to: z.string(),
      at: time,
      value: z.number().nullable(),
      summary: z.string(),
      actor: z.string(),
      queued: z.number(),
    }),
  ),
  queues: z.array(
    z.object({
      receiver: z.string(),
      queued: z.number(),
      oldest: z.object({
        delivery_id: z.string(),
        created_at: time,
        attempts: z.number(),
        next_at: time,
        last_error: z.string().nullable(),
      }),
    }),
  ),
  evaluator: z.object({ node: z.string(), lease_until: time }).nullable(),
});
export const unsilenceSchema = z.object({ rule: z.string(), ended: silenceSchema.nullable() });
export const testSchema = z.object({
  rule: z.string(),
  event_id: z.number(),
  deliveries: z.array(z.object({ receiver: z.string(), delivery_id: z.string() })),
});

export type AlertJson = z.infer<typeof alertSchema>;
export type AlertDetailsJson = z.infer<typeof alertDetailsSchema>;
