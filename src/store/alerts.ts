import type { JsonValue } from "../core/canonical-json.js";

/**
 * Alerts keel evaluates itself, in domain words. A rule's state moves inactive -> pending (its
 * condition holds) -> firing (it held for the rule's `for:`) -> resolved (it stopped holding);
 * pending -> inactive when it stops holding before then. Every change is an event (the history);
 * a change to firing or resolved queues one delivery per matching receiver in the outbox, in the
 * same transaction. One node at a time evaluates and drains the outbox: the holder of the lease.
 */
export const AlertState = {
  inactive: "inactive",
  pending: "pending",
  firing: "firing",
  resolved: "resolved",
} as const;
export type AlertState = (typeof AlertState)[keyof typeof AlertState];

export const alertStates: readonly AlertState[] = Object.values(AlertState);

export type AlertLabels = Record<string, string>;

export interface AlertStateRecord {
  rule: string;
  state: AlertState;
  /** when the state began */
  since: number;
  /** the figure the condition measured at the change (null for yes/no conditions) */
  value: number | null;
  summary: string;
  severity: string;
  labels: AlertLabels;
  updatedAt: number;
}

/** one state change (or a test notification, `to` = "test") */
export interface AlertStateChange {
  rule: string;
  /** the state the evaluator read: the change is made only if the store still holds it */
  from: AlertState;
  to: AlertState;
  at: number;
  value: number | null;
  summary: string;
  severity: string;
  labels: AlertLabels;
  actor: string;
}

export interface AlertEventRecord {
  id: number;
  rule: string;
  from: string;
  to: string;
  at: number;
  value: number | null;
  summary: string;
  severity: string;
  labels: AlertLabels;
  actor: string;
  /** deliveries queued for it */
  queued: number;
}

export interface AlertSilenceRecord {
  rule: string;
  until: number;
  reason: string;
  actor: string;
  at: number;
}

export interface NewAlertDelivery {
  /** stable across retries and nodes: the receiver dedupes on it (unique in the outbox) */
  deliveryId: string;
  receiver: string;
  payload: JsonValue;
}

export const DeliveryStatus = {
  queued: "queued",
  delivered: "delivered",
  dropped: "dropped",
} as const;
export type DeliveryStatus = (typeof DeliveryStatus)[keyof typeof DeliveryStatus];

export interface AlertDeliveryRecord {
  id: number;
  deliveryId: string;
  receiver: string;
  eventId: number | null;
  payload: JsonValue;
  createdAt: number;
  status: DeliveryStatus;
  attempts: number;
  nextAt: number;
  lastError: string | null;
  doneAt: number | null;
}

/** what became of one attempt */
export type DeliveryOutcome =
  | { kind: "delivered"; at: number }
  | { kind: "retry"; at: number; nextAt: number; error: string }
  | { kind: "dropped"; at: number; error: string };

/** one receiver's queue: how many wait, and the one at its head */
export interface AlertQueueSummary {
  receiver: string;
  queued: number;
  head: AlertDeliveryRecord;
}

export interface AlertLease {
  holder: string;
  expiresAt: number;
  /** bumped each time the lease changes hands */
  epoch: number;
}

export interface AlertEventQuery {
  rule?: string;
  limit: number;
}
