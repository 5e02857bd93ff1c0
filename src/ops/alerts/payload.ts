import type { JsonValue } from "../../core/canonical-json.js";
import type { AlertLabels } from "../../store/alerts.js";

/**
 * What a receiver gets. The generic body is this JSON object as it was queued; a Slack receiver
 * gets `{ text }` made from it (an incoming webhook's shape). The delivery id is in the body and
 * in the X-Keel-Delivery header: the same on every retry, from every node.
 */
export interface AlertNotification {
  version: 1;
  delivery_id: string;
  rule: string;
  /** firing, resolved, or test */
  state: string;
  severity: string;
  summary: string;
  value: number | null;
  threshold: number;
  labels: AlertLabels;
  /** when the state began (ISO) */
  since: string;
  /** a test notification sent by `keel alerts test` */
  test: boolean;
}

export function deliveryIdOf(rule: string, state: string, since: number, receiver: string): string {
  return `${rule}.${state}.${since}.${receiver}`;
}

export function renderBody(payload: JsonValue, format: "generic" | "slack"): string {
  if (format === "generic") return JSON.stringify(payload);
  const n = payload as unknown as AlertNotification;
  const labels = Object.entries(n.labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
  const head = n.test ? "TEST" : n.state.toUpperCase();
  return JSON.stringify({
    text: `[${head}] ${n.rule} (${n.severity}): ${n.summary}${labels ? ` {${labels}}` : ""}`,
  });
}
