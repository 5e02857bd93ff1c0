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
import { auditChange } from "./audit.js";
import { recordByName, type PgConn } from "./context.js";

/**
 * Breakers: the policy upserted by nodes, the state moved by core's state machine with the row
 * locked (SELECT ... FOR UPDATE, move, write), so concurrent reports from many nodes never lose
 * an update and a threshold is crossed exactly once. A move to half-open or closed wakes the runs
 * the breaker deferred, in the same transaction.
 */
export async function upsertBreakers(
  c: PgConn,
  defs: BreakerDefinition[],
  actor: string,
  now: number,
): Promise<void> {
  for (const d of defs) await c.run(upsertBreakerSql, upsertBreakerParams(d, actor, now));
}

export async function listBreakerTransitions(
  c: PgConn,
  query: BreakerHistoryQuery,
): Promise<BreakerTransitionRecord[]> {
  const params = query.breaker === undefined ? [query.limit] : [query.breaker, query.limit];
  const rows = await c.all(breakerTransitionsSql(query.breaker), params);
  return rows.map(breakerTransitionFromRow);
}

export async function applyBreakerEvent(
  c: PgConn,
  name: string,
  event: BreakerEvent,
  actor: string,
  now: number,
  audit?: AuditNote & { reason: string | null },
): Promise<BreakerChange> {
  // a node's report about a breaker it never upserted still counts, under the default policy;
  // an operator's trip or reset must name a breaker that exists
  if (event.kind !== "trip" && event.kind !== "reset") await insertDefault(c, name, actor, now);
  const before = await recordByName(c, "breakers", name, breakerFromRow, true);
  if (!before) throw new NotFoundError("breaker", name);
  const moved = moveBreaker(before, event, before, now);
  let breaker = before;
  if (moved.changed) {
    const row = await c.get(moveBreakerSql, moveBreakerParams(name, moved.next, actor, now));
    breaker = breakerFromRow(row ?? {});
  }
  let transition: BreakerTransitionRecord | null = null;
  if (moved.transition) {
    const row = await c.get(
      insertBreakerTransitionSql,
      breakerTransitionParams(name, moved.transition, event, actor, now),
    );
    transition = breakerTransitionFromRow(row ?? {});
  }
  if (audit)
    await auditChange(
      c,
      audit,
      { at: now, actor, target: name, reason: audit.reason },
      {
        from: before.state,
      },
    );
  const woken = moved.wake ? await wakeDeferred(c, name, moved.wake, now) : 0;
  return { breaker, transition, granted: moved.granted, woken };
}

async function insertDefault(c: PgConn, name: string, actor: string, now: number): Promise<void> {
  await c.run(insertDefaultBreakerSql, insertDefaultBreakerParams(name, actor, now));
}

/**
 * Deferred runs made due: now, back in their old order (scheduled as of their creation), no longer
 * waiting for the breaker; or brought forward to a later time, still waiting for it.
 */
function wakeDeferred(
  c: PgConn,
  name: string,
  wake: NonNullable<BreakerMove["wake"]>,
  now: number,
): Promise<number> {
  const set =
    wake.at === null
      ? "scheduled_for = least(created_at, ?::bigint), deferred_by = NULL"
      : "scheduled_for = least(scheduled_for, ?::bigint)";
  return c.run(
    `UPDATE runs SET ${set} WHERE id IN (
       SELECT id FROM runs WHERE status = 'pending' AND deferred_by = ?
       ORDER BY priority DESC, created_at, id LIMIT ?)`,
    [wake.at ?? now, name, wake.runs === "all" ? null : wake.runs],
  );
}
