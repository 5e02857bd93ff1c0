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
import type { SqliteContext } from "./context.js";

/** Alerts: rule states, history, silences, the evaluator's lease and the webhook outbox. */
export function listAlertStates(ctx: SqliteContext): AlertStateRecord[] {
  return (ctx.sql(alertStatesSql).all() as Row[]).map(alertStateFromRow);
}

export function changeAlertState(
  ctx: SqliteContext,
  change: AlertStateChange,
  deliveries: readonly NewAlertDelivery[],
): AlertEventRecord | null {
  return ctx.write(() => {
    const moved = ctx.sql(moveAlertStateSql).get(...moveAlertStateParams(change));
    if (!moved) return null;
    return insertEvent(ctx, change, deliveries);
  });
}

function insertEvent(
  ctx: SqliteContext,
  change: AlertStateChange,
  deliveries: readonly NewAlertDelivery[],
): AlertEventRecord {
  const { id } = ctx.sql(insertAlertEventSql).get(...alertEventParams(change)) as { id: number };
  let queued = 0;
  for (const d of deliveries)
    queued += ctx.sql(insertDeliverySql).run(...deliveryParams(d, id, change.at)).changes;
  ctx.sql(setEventQueuedSql).run(queued, id);
  return alertEventFromRow(ctx.sql("SELECT * FROM alert_events WHERE id = ?").get(id) as Row);
}

export function recordAlertNotice(
  ctx: SqliteContext,
  change: AlertStateChange,
  deliveries: readonly NewAlertDelivery[],
  audit?: OperatorChange,
): AlertEventRecord {
  return ctx.write(() => {
    const event = insertEvent(ctx, change, deliveries);
    if (audit?.audit)
      auditChange(
        ctx,
        audit.audit,
        { at: audit.at, actor: audit.actor, target: change.rule, reason: audit.reason ?? null },
        { queued: event.queued },
      );
    return event;
  });
}

export function listAlertEvents(ctx: SqliteContext, query: AlertEventQuery): AlertEventRecord[] {
  const params = query.rule === undefined ? [query.limit] : [query.rule, query.limit];
  return (ctx.sql(alertEventsSql(query.rule)).all(...params) as Row[]).map(alertEventFromRow);
}

export function listAlertSilences(ctx: SqliteContext): AlertSilenceRecord[] {
  return (ctx.sql(silencesSql).all() as Row[]).map(silenceFromRow);
}

export function silenceAlert(
  ctx: SqliteContext,
  rule: string,
  until: number,
  change: ReasonedChange,
): AlertSilenceRecord {
  return ctx.write(() => {
    const row = ctx
      .sql(upsertSilenceSql)
      .get(rule, until, change.reason, change.actor, change.at) as Row;
    if (change.audit)
      auditChange(
        ctx,
        change.audit,
        { at: change.at, actor: change.actor, target: rule, reason: change.reason },
        { until: new Date(until).toISOString() },
      );
    return silenceFromRow(row);
  });
}

export function unsilenceAlert(
  ctx: SqliteContext,
  rule: string,
  change: OperatorChange,
): AlertSilenceRecord | undefined {
  return ctx.write(() => {
    const row = ctx.sql(silenceSql).get(rule) as Row | undefined;
    if (!row) return undefined;
    ctx.sql(deleteSilenceSql).run(rule);
    const silence = silenceFromRow(row);
    if (change.audit)
      auditChange(
        ctx,
        change.audit,
        { at: change.at, actor: change.actor, target: rule, reason: change.reason ?? null },
        { was_until: new Date(silence.until).toISOString() },
      );
    return silence;
  });
}

const leaseNow = (sql: string): string => sql.replaceAll("NOW", "?");

export function acquireAlertLease(
  ctx: SqliteContext,
  holder: string,
  now: number,
  ttlMs: number,
): AlertLease {
  return ctx.write(() => {
    const row = ctx.sql(leaseNow(acquireLeaseSql)).get(holder, now, ttlMs, now) as Row | undefined;
    return leaseFromRow(row ?? (ctx.sql(leaseSql).get() as Row));
  });
}

export function releaseAlertLease(ctx: SqliteContext, holder: string): void {
  ctx.write(() => ctx.sql(releaseLeaseSql).run(holder));
}

export function getAlertLease(ctx: SqliteContext): AlertLease | undefined {
  const row = ctx.sql(leaseSql).get() as Row | undefined;
  return row ? leaseFromRow(row) : undefined;
}

export function dueAlertDeliveries(
  ctx: SqliteContext,
  now: number,
  limit: number,
): AlertDeliveryRecord[] {
  return (ctx.sql(dueDeliveriesSql).all(now, limit) as Row[]).map(deliveryFromRow);
}

export function finishAlertDelivery(
  ctx: SqliteContext,
  id: number,
  outcome: DeliveryOutcome,
): void {
  ctx.write(() => ctx.sql(finishDeliverySql).run(...finishDeliveryParams(id, outcome, outcome.at)));
}

export function alertQueues(ctx: SqliteContext): AlertQueueSummary[] {
  return (ctx.sql(queueHeadsSql).all() as Row[]).map((row) => ({
    receiver: String(row.receiver),
    queued: num(row.queued),
    head: deliveryFromRow(row),
  }));
}

export function getAlertDelivery(
  ctx: SqliteContext,
  deliveryId: string,
): AlertDeliveryRecord | undefined {
  const row = ctx.sql(deliveryByIdSql).get(deliveryId) as Row | undefined;
  return row ? deliveryFromRow(row) : undefined;
}

export function pruneAlertOutbox(ctx: SqliteContext, before: number): number {
  return ctx.write(() => ctx.sql(pruneOutboxSql).run(before).changes);
}
