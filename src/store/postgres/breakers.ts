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
  for (const d of defs)
    await c.run(
      `INSERT INTO breakers (name, failure_threshold, recovery_timeout_ms, half_open_requests, probe, updated_at, updated_by)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET failure_threshold = excluded.failure_threshold,
         recovery_timeout_ms = excluded.recovery_timeout_ms,
         half_open_requests = excluded.half_open_requests, probe = excluded.probe`,
      [
        d.name,
        d.failureThreshold,
        d.recoveryTimeoutMs,
        d.halfOpenRequests,
        d.probe ? 1 : 0,
        now,
        actor,
      ],
    );
}

export async function listBreakerTransitions(
  c: PgConn,
  query: BreakerHistoryQuery,
): Promise<BreakerTransitionRecord[]> {
  const rows =
    query.breaker === undefined
      ? await c.all("SELECT * FROM breaker_transitions ORDER BY id DESC LIMIT ?", [query.limit])
      : await c.all(
          "SELECT * FROM breaker_transitions WHERE breaker = ? ORDER BY id DESC LIMIT ?",
          [query.breaker, query.limit],
        );
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
    const n = moved.next;
    const row = await c.get(
      `UPDATE breakers SET state = ?, failures = ?, opened_at = ?, next_attempt_at = ?, backoff_ms = ?,
         trial_slots = ?, trial_successes = ?, manual = ?, reason = ?, updated_at = ?, updated_by = ?
       WHERE name = ? RETURNING *`,
      [
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
      ],
    );
    breaker = breakerFromRow(row ?? {});
  }
  let transition: BreakerTransitionRecord | null = null;
  if (moved.transition) {
    const t = moved.transition;
    const details: Record<string, JsonValue> = { message: t.message };
    if (event.kind === "failure") details.code = event.code;
    if (event.kind === "trip") details.note = event.reason;
    if (event.kind === "reset") details.note = event.note;
    const row = await c.get(
      "INSERT INTO breaker_transitions (breaker, from_state, to_state, reason, actor, at, details) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *",
      [name, t.from, t.to, t.reason, actor, now, JSON.stringify(details)],
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
  const p = defaultBreakerPolicy;
  await c.run(
    `INSERT INTO breakers (name, state, failure_threshold, recovery_timeout_ms, half_open_requests, probe, updated_at, updated_by)
     VALUES (?, ?, ?, ?, ?, 0, ?, ?) ON CONFLICT (name) DO NOTHING`,
    [
      name,
      closedBreaker.state,
      p.failureThreshold,
      p.recoveryTimeoutMs,
      p.halfOpenRequests,
      now,
      actor,
    ],
  );
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
