import { moveBreaker, type BreakerEvent, type BreakerMove } from "../../core/breaker.js";
import { NotFoundError } from "../../core/errors/definition-errors.js";
import type { AuditNote } from "../audit.js";
import {
  breakerFromRow,
  breakerTransitionFromRow,
  breakerTransitionParams,
  breakerTransitionsSql,
  insertBreakerTransitionSql,
  insertDefaultBreakerParams,
  insertDefaultBreakerSql,
  moveBreakerParams,
  moveBreakerSql,
  upsertBreakerParams,
  upsertBreakerSql,
} from "../breaker-rows.js";
import type {
  BreakerChange,
  BreakerDefinition,
  BreakerHistoryQuery,
  BreakerTransitionRecord,
} from "../breakers.js";
import type { Row } from "../rows.js";
import { auditChange } from "./audit.js";
import { recordByName, type SqliteContext } from "./context.js";

/**
 * Breakers: the policy upserted by nodes, the state moved by core's state machine inside one
 * BEGIN IMMEDIATE (read, move, write), so concurrent reports from many nodes never lose an update
 * and a threshold is crossed exactly once. A move to half-open or closed wakes the runs the
 * breaker deferred, in the same transaction.
 */
export function upsertBreakers(
  ctx: SqliteContext,
  defs: BreakerDefinition[],
  actor: string,
  now: number,
): void {
  ctx.write(() => {
    const upsert = ctx.sql(upsertBreakerSql);
    for (const d of defs) upsert.run(...upsertBreakerParams(d, actor, now));
  });
}

export function listBreakerTransitions(
  ctx: SqliteContext,
  query: BreakerHistoryQuery,
): BreakerTransitionRecord[] {
  const params = query.breaker === undefined ? [query.limit] : [query.breaker, query.limit];
  const rows = ctx.sql(breakerTransitionsSql(query.breaker)).all(...params);
  return (rows as Row[]).map(breakerTransitionFromRow);
}

export function applyBreakerEvent(
  ctx: SqliteContext,
  name: string,
  event: BreakerEvent,
  actor: string,
  now: number,
  audit?: AuditNote & { reason: string | null },
): BreakerChange {
  return ctx.write(() => {
    // a node's report about a breaker it never upserted still counts, under the default policy;
    // an operator's trip or reset must name a breaker that exists
    if (event.kind !== "trip" && event.kind !== "reset") insertDefault(ctx, name, actor, now);
    const before = recordByName(ctx, "breakers", name, breakerFromRow);
    if (!before) throw new NotFoundError("breaker", name);
    const moved = moveBreaker(before, event, before, now);
    let breaker = before;
    if (moved.changed) {
      const row = ctx
        .sql(moveBreakerSql)
        .get(...moveBreakerParams(name, moved.next, actor, now)) as Row;
      breaker = breakerFromRow(row);
    }
    let transition: BreakerTransitionRecord | null = null;
    if (moved.transition) {
      const row = ctx
        .sql(insertBreakerTransitionSql)
        .get(...breakerTransitionParams(name, moved.transition, event, actor, now)) as Row;
      transition = breakerTransitionFromRow(row);
    }
    if (audit)
      auditChange(
        ctx,
        audit,
        { at: now, actor, target: name, reason: audit.reason },
        {
          from: before.state,
        },
      );
    const woken = moved.wake ? wakeDeferred(ctx, name, moved.wake, now) : 0;
    return { breaker, transition, granted: moved.granted, woken };
  });
}

function insertDefault(ctx: SqliteContext, name: string, actor: string, now: number): void {
  ctx.sql(insertDefaultBreakerSql).run(...insertDefaultBreakerParams(name, actor, now));
}

/**
 * Deferred runs made due: now, back in their old order (scheduled as of their creation), no longer
 * waiting for the breaker; or brought forward to a later time, still waiting for it.
 */
function wakeDeferred(
  ctx: SqliteContext,
  name: string,
  wake: NonNullable<BreakerMove["wake"]>,
  now: number,
): number {
  const limit = wake.runs === "all" ? -1 : wake.runs;
  const set =
    wake.at === null
      ? "scheduled_for = min(created_at, ?), deferred_by = NULL"
      : "scheduled_for = min(scheduled_for, ?)";
  return ctx
    .sql(
      `UPDATE runs SET ${set} WHERE id IN (
         SELECT id FROM runs INDEXED BY runs_deferred WHERE status = 'pending' AND deferred_by = ?
         ORDER BY priority DESC, created_at, id LIMIT ?)`,
    )
    .run(wake.at ?? now, name, limit).changes;
}
