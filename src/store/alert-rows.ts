import type {
  AlertDeliveryRecord,
  AlertEventRecord,
  AlertLabels,
  AlertLease,
  AlertSilenceRecord,
  AlertState,
  AlertStateChange,
  AlertStateRecord,
  DeliveryOutcome,
  DeliveryStatus,
  NewAlertDelivery,
} from "./alerts.js";
import { json, num, numOrNull, type Row } from "./rows.js";

/**
 * The alert tables' SQL and row mapping, shared by both backends. `NOW` in a text stands for the
 * lease clock's expression, which each backend puts in (the database's clock on PostgreSQL).
 */
export const alertStatesSql = "SELECT * FROM alert_states ORDER BY rule";

/** insert or move a rule's state, only when the store still holds the state the change read */
export const moveAlertStateSql = `INSERT INTO alert_states (rule, state, since, value, summary, severity, labels, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (rule) DO UPDATE SET state = excluded.state, since = excluded.since, value = excluded.value,
  summary = excluded.summary, severity = excluded.severity, labels = excluded.labels,
  updated_at = excluded.updated_at
WHERE alert_states.state = ?
RETURNING rule`;

export function moveAlertStateParams(c: AlertStateChange): unknown[] {
  return [
    c.rule,
    c.to,
    c.at,
    c.value,
    c.summary,
    c.severity,
    JSON.stringify(c.labels),
    c.at,
    c.from,
  ];
}

export const insertAlertEventSql = `INSERT INTO alert_events (rule, from_state, to_state, at, value, summary, severity, labels, actor, queued)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0) RETURNING id`;

export function alertEventParams(c: AlertStateChange, to: string = c.to): unknown[] {
  return [
    c.rule,
    c.from,
    to,
    c.at,
    c.value,
    c.summary,
    c.severity,
    JSON.stringify(c.labels),
    c.actor,
  ];
}

export const setEventQueuedSql = "UPDATE alert_events SET queued = ? WHERE id = ?";

export function alertEventsSql(rule: string | undefined): string {
  return `SELECT * FROM alert_events${rule === undefined ? "" : " WHERE rule = ?"} ORDER BY id DESC LIMIT ?`;
}

/** a delivery id already queued is left alone: a state change reaches each receiver once */
export const insertDeliverySql = `INSERT INTO alert_outbox (delivery_id, receiver, event_id, payload, created_at, next_at)
VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (delivery_id) DO NOTHING`;

export function deliveryParams(d: NewAlertDelivery, eventId: number | null, at: number): unknown[] {
  return [d.deliveryId, d.receiver, eventId, JSON.stringify(d.payload), at, at];
}

/** the head of each receiver's queue, when it is due: a receiver's deliveries go out in order */
export const dueDeliveriesSql = `SELECT * FROM alert_outbox o WHERE status = 'queued' AND next_at <= ?
  AND id = (SELECT min(id) FROM alert_outbox q WHERE q.receiver = o.receiver AND q.status = 'queued')
  ORDER BY id LIMIT ?`;

export const queueHeadsSql = `SELECT o.*, (SELECT count(*) FROM alert_outbox q WHERE q.receiver = o.receiver AND q.status = 'queued') AS queued
  FROM alert_outbox o WHERE status = 'queued'
  AND id = (SELECT min(id) FROM alert_outbox q WHERE q.receiver = o.receiver AND q.status = 'queued')
  ORDER BY receiver`;

export const finishDeliverySql = `UPDATE alert_outbox SET status = ?, attempts = attempts + 1, next_at = ?,
  last_error = ?, done_at = ? WHERE id = ? AND status = 'queued'`;

export function finishDeliveryParams(
  id: number,
  outcome: DeliveryOutcome,
  nextAt: number,
): unknown[] {
  const status: DeliveryStatus =
    outcome.kind === "retry" ? "queued" : outcome.kind === "delivered" ? "delivered" : "dropped";
  return [
    status,
    outcome.kind === "retry" ? outcome.nextAt : nextAt,
    outcome.kind === "delivered" ? null : outcome.error,
    outcome.kind === "retry" ? null : outcome.at,
    id,
  ];
}

export const pruneOutboxSql = "DELETE FROM alert_outbox WHERE status <> 'queued' AND done_at < ?";

export const deliveryByIdSql = "SELECT * FROM alert_outbox WHERE delivery_id = ?";

export const silencesSql = "SELECT * FROM alert_silences ORDER BY rule";
export const silenceSql = "SELECT * FROM alert_silences WHERE rule = ?";
export const upsertSilenceSql = `INSERT INTO alert_silences (rule, until, reason, actor, at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (rule) DO UPDATE SET until = excluded.until, reason = excluded.reason,
  actor = excluded.actor, at = excluded.at RETURNING *`;
export const deleteSilenceSql = "DELETE FROM alert_silences WHERE rule = ?";

/**
 * Takes or renews the evaluator's lease: granted when nobody holds it, when it ran out, or to its
 * holder; the epoch goes up when it changes hands.
 */
export const acquireLeaseSql = `INSERT INTO alert_lease (name, holder, expires_at, epoch) VALUES ('evaluator', ?, NOW + ?, 1)
ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at,
  epoch = alert_lease.epoch + CASE WHEN alert_lease.holder = excluded.holder THEN 0 ELSE 1 END
WHERE alert_lease.holder = excluded.holder OR alert_lease.expires_at <= NOW
RETURNING *`;
export const leaseSql = "SELECT * FROM alert_lease WHERE name = 'evaluator'";
export const releaseLeaseSql = "DELETE FROM alert_lease WHERE name = 'evaluator' AND holder = ?";

export function alertStateFromRow(row: Row): AlertStateRecord {
  return {
    rule: String(row.rule),
    state: String(row.state) as AlertState,
    since: num(row.since),
    value: numOrNull(row.value),
    summary: String(row.summary),
    severity: String(row.severity),
    labels: json<AlertLabels>(row.labels),
    updatedAt: num(row.updated_at),
  };
}

export function alertEventFromRow(row: Row): AlertEventRecord {
  return {
    id: num(row.id),
    rule: String(row.rule),
    from: String(row.from_state),
    to: String(row.to_state),
    at: num(row.at),
    value: numOrNull(row.value),
    summary: String(row.summary),
    severity: String(row.severity),
    labels: json<AlertLabels>(row.labels),
    actor: String(row.actor),
    queued: num(row.queued),
  };
}

export function silenceFromRow(row: Row): AlertSilenceRecord {
  return {
    rule: String(row.rule),
    until: num(row.until),
    reason: String(row.reason),
    actor: String(row.actor),
    at: num(row.at),
  };
}

export function deliveryFromRow(row: Row): AlertDeliveryRecord {
  return {
    id: num(row.id),
    deliveryId: String(row.delivery_id),
    receiver: String(row.receiver),
    eventId: numOrNull(row.event_id),
    payload: json(row.payload),
    createdAt: num(row.created_at),
    status: String(row.status) as DeliveryStatus,
    attempts: num(row.attempts),
    nextAt: num(row.next_at),
    lastError:
      row.last_error === null || row.last_error === undefined ? null : String(row.last_error),
    doneAt: numOrNull(row.done_at),
  };
}

export function leaseFromRow(row: Row): AlertLease {
  return { holder: String(row.holder), expiresAt: num(row.expires_at), epoch: num(row.epoch) };
}

/** a silence's audit entry names the rule, the end and the reason */
export const AlertAuditAction = {
  silence: "alert.silence",
  unsilence: "alert.unsilence",
  test: "alert.test",
} as const;
