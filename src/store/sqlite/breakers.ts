import {
  closedBreaker,
  defaultBreakerPolicy,
  moveBreaker,
  type BreakerEvent,
  type BreakerMove,
} from "../../core/breaker.js";
import type { JsonValue } from "../../core/canonical-json.js";
import { NotFoundError } from "../../core/errors/definition-errors.js";
import type { AuditNote } from "../audit.js";
import { breakerFromRow, breakerTransitionFromRow } from "../breaker-rows.js";
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
    for (const d of defs)
      ctx
        .sql(
          `INSERT INTO breakers (name, failure_threshold, recovery_timeout_ms, half_open_requests, probe, updated_at, updated_by)
           VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET failure_threshold = excluded.failure_threshold,
             recovery_timeout_ms = excluded.recovery_timeout_ms,
             half_open_requests = excluded.half_open_requests, probe = excluded.probe`,
        )
        .run(
          d.name,
          d.failureThreshold,
          d.recoveryTimeoutMs,
          d.halfOpenRequests,
          d.probe ? 1 : 0,
          now,
          actor,
        );
  });
}

export function listBreakerTransitions(
  ctx: SqliteContext,
  query: BreakerHistoryQuery,
): BreakerTransitionRecord[] {
  const rows =
    query.breaker === undefined
      ? ctx.sql("SELECT * FROM breaker_transitions ORDER BY id DESC LIMIT ?").all(query.limit)
      : ctx
          .sql("SELECT * FROM breaker_transitions WHERE breaker = ? ORDER BY id DESC LIMIT ?")
          .all(query.breaker, query.limit);
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
      const n = moved.next;
      const row = ctx
        .sql(
          `UPDATE breakers SET state = ?, failures = ?, opened_at = ?, next_attempt_at = ?, backoff_ms = ?,
             trial_slots = ?, trial_successes = ?, manual = ?, reason = ?, updated_at = ?, updated_by = ?
           WHERE name = ? RETURNING *`,
        )
        .get(
          n.state,
          n.failures,
          n.openedAt,
          n.nextAttemptAt,
          n.backoffMs,
          n.trialSlots,
          n.trialSuccesses,
          n.manual ? 1 : 0,
          n.reason,
          now,
          actor,
          name,
        ) as Row;
      breaker = breakerFromRow(row);
    }
    let transition: BreakerTransitionRecord | null = null;
    if (moved.transition) {
      const t = moved.transition;
      const details: Record<string, JsonValue> = { message: t.message };
      if (event.kind === "failure") details.code = event.code;
      if (event.kind === "trip") details.note = event.reason;
      if (event.kind === "reset") details.note = event.note;
      const row = ctx
        .sql(
          "INSERT INTO breaker_transitions (breaker, from_state, to_state, reason, actor, at, details) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *",
        )
        .get(name, t.from, t.to, t.reason, actor, now, JSON.stringify(details)) as Row;
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
  const p = defaultBreakerPolicy;
  ctx
    .sql(
      `INSERT INTO breakers (name, state, failure_threshold, recovery_timeout_ms, half_open_requests, probe, updated_at, updated_by)
       VALUES (?, ?, ?, ?, ?, 0, ?, ?) ON CONFLICT (name) DO NOTHING`,
    )
    .run(
      name,
      closedBreaker.state,
      p.failureThreshold,
      p.recoveryTimeoutMs,
      p.halfOpenRequests,
      now,
      actor,
    );
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
