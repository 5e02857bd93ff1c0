import {
  acquireLeaseSql,
  alertEventFromRow,
  alertEventParams,
  alertEventsSql,
  alertStateFromRow,
  alertStatesSql,
  deleteSilenceSql,
  deliveryByIdSql,
  deliveryFromRow,
  deliveryParams,
  dueDeliveriesSql,
  finishDeliveryParams,
  finishDeliverySql,
  insertAlertEventSql,
  insertDeliverySql,
  leaseFromRow,
  leaseSql,
  moveAlertStateParams,
  moveAlertStateSql,
  pruneOutboxSql,
  queueHeadsSql,
  releaseLeaseSql,
  setEventQueuedSql,
  silenceFromRow,
  silenceSql,
  silencesSql,
  upsertSilenceSql,
} from "../alert-rows.js";
import type {
  AlertDeliveryRecord,
  AlertEventQuery,
  AlertEventRecord,
  AlertLease,
  AlertQueueSummary,
  AlertSilenceRecord,
  AlertStateChange,
  AlertStateRecord,
  DeliveryOutcome,
  NewAlertDelivery,
} from "../alerts.js";
import type { OperatorChange, ReasonedChange } from "../operator-change.js";
import { num, type Row } from "../rows.js";
import { auditChange } from "./audit.js";
import type { PgConn, PgContext } from "./context.js";

/**
 * Alerts, as on SQLite; the evaluator's lease runs on the lease clock (the database's by default),
 * so nodes whose clocks disagree still hand it over when it runs out, not before.
 */
export async function listAlertStates(c: PgConn): Promise<AlertStateRecord[]> {
  return (await c.all(alertStatesSql)).map(alertStateFromRow);
}

export async function changeAlertState(
  c: PgConn,
  change: AlertStateChange,
  deliveries: readonly NewAlertDelivery[],
): Promise<AlertEventRecord | null> {
  // the row is locked by the upsert: a racing evaluator waits, then finds the state moved
  const moved = await c.get(moveAlertStateSql, moveAlertStateParams(change));
  if (!moved) return null;
  return insertEvent(c, change, deliveries);
}

async function insertEvent(
  c: PgConn,
  change: AlertStateChange,
  deliveries: readonly NewAlertDelivery[],
): Promise<AlertEventRecord> {
  const inserted = await c.get<{ id: unknown }>(insertAlertEventSql, alertEventParams(change));
  const id = num(inserted?.id);
  let queued = 0;
  for (const d of deliveries)
    queued += await c.run(insertDeliverySql, deliveryParams(d, id, change.at));
  await c.run(setEventQueuedSql, [queued, id]);
  return alertEventFromRow((await c.get("SELECT * FROM alert_events WHERE id = ?", [id])) ?? {});
}

export async function recordAlertNotice(
  c: PgConn,
  change: AlertStateChange,
  deliveries: readonly NewAlertDelivery[],
  audit?: OperatorChange,
): Promise<AlertEventRecord> {
  const event = await insertEvent(c, change, deliveries);
  if (audit?.audit)
    await auditChange(
      c,
      audit.audit,
      { at: audit.at, actor: audit.actor, target: change.rule, reason: audit.reason ?? null },
      { queued: event.queued },
    );
  return event;
}

export async function listAlertEvents(
  c: PgConn,
  query: AlertEventQuery,
): Promise<AlertEventRecord[]> {
  const params = query.rule === undefined ? [query.limit] : [query.rule, query.limit];
  return (await c.all(alertEventsSql(query.rule), params)).map(alertEventFromRow);
}

export async function listAlertSilences(c: PgConn): Promise<AlertSilenceRecord[]> {
  return (await c.all(silencesSql)).map(silenceFromRow);
}

export async function silenceAlert(
  c: PgConn,
  rule: string,
  until: number,
  change: ReasonedChange,
): Promise<AlertSilenceRecord> {
  const row = await c.get(upsertSilenceSql, [rule, until, change.reason, change.actor, change.at]);
  if (change.audit)
    await auditChange(
      c,
      change.audit,
      { at: change.at, actor: change.actor, target: rule, reason: change.reason },
      { until: new Date(until).toISOString() },
    );
  return silenceFromRow(row ?? {});
}

export async function unsilenceAlert(
  c: PgConn,
  rule: string,
  change: OperatorChange,
): Promise<AlertSilenceRecord | undefined> {
  const row = await c.get(`${silenceSql} FOR UPDATE`, [rule]);
  if (!row) return undefined;
  await c.run(deleteSilenceSql, [rule]);
  const silence = silenceFromRow(row);
  if (change.audit)
    await auditChange(
      c,
      change.audit,
      { at: change.at, actor: change.actor, target: rule, reason: change.reason ?? null },
      { was_until: new Date(silence.until).toISOString() },
    );
  return silence;
}

export async function acquireAlertLease(
  ctx: PgContext,
  c: PgConn,
  holder: string,
  now: number,
  ttlMs: number,
): Promise<AlertLease> {
  const sql = acquireLeaseSql.replaceAll("NOW", ctx.nowSql());
  const nowParams = ctx.nowParams(now);
  const row = await c.get(sql, [holder, ...nowParams, ttlMs, ...nowParams]);
  return leaseFromRow(row ?? (await c.get(leaseSql)) ?? {});
}

export async function releaseAlertLease(c: PgConn, holder: string): Promise<void> {
  await c.run(releaseLeaseSql, [holder]);
}

export async function getAlertLease(c: PgConn): Promise<AlertLease | undefined> {
  const row = await c.get(leaseSql);
  return row ? leaseFromRow(row) : undefined;
}

export async function dueAlertDeliveries(
  c: PgConn,
  now: number,
  limit: number,
): Promise<AlertDeliveryRecord[]> {
  return (await c.all(dueDeliveriesSql, [now, limit])).map(deliveryFromRow);
}

export async function finishAlertDelivery(
  c: PgConn,
  id: number,
  outcome: DeliveryOutcome,
): Promise<void> {
  await c.run(finishDeliverySql, finishDeliveryParams(id, outcome, outcome.at));
}

export async function alertQueues(c: PgConn): Promise<AlertQueueSummary[]> {
  return (await c.all<Row>(queueHeadsSql)).map((row) => ({
    receiver: String(row.receiver),
    queued: num(row.queued),
    head: deliveryFromRow(row),
  }));
}

export async function getAlertDelivery(
  c: PgConn,
  deliveryId: string,
): Promise<AlertDeliveryRecord | undefined> {
  const row = await c.get(deliveryByIdSql, [deliveryId]);
  return row ? deliveryFromRow(row) : undefined;
}

export function pruneAlertOutbox(c: PgConn, before: number): Promise<number> {
  return c.run(pruneOutboxSql, [before]);
}
