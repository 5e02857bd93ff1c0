import {
  closedBreaker,
  defaultBreakerPolicy,
  type BreakerEvent,
  type BreakerSnapshot,
  type BreakerState,
  type BreakerTransition,
} from "../core/breaker.js";
import type { JsonValue } from "../core/canonical-json.js";
import type { AuditNote } from "./audit.js";
import type { BreakerDefinition, BreakerRecord, BreakerTransitionRecord } from "./breakers.js";
import type { OperatorChange } from "./operator-change.js";
import { jsonOrNull, num, numOrNull, type Row } from "./rows.js";

/** Row -> record mapping of breakers, shared by both backends (see rows.ts). */
function flag(value: unknown): boolean {
  return value === 1 || value === true || value === "1";
}

export function breakerFromRow(row: Row): BreakerRecord {
  return {
    name: row.name as string,
    state: row.state as BreakerState,
    failures: num(row.failures),
    openedAt: numOrNull(row.opened_at),
    nextAttemptAt: numOrNull(row.next_attempt_at),
    backoffMs: num(row.backoff_ms),
    trialSlots: num(row.trial_slots),
    trialSuccesses: num(row.trial_successes),
    manual: flag(row.manual),
    reason: (row.reason as string | null) ?? null,
    failureThreshold: num(row.failure_threshold),
    recoveryTimeoutMs: num(row.recovery_timeout_ms),
    halfOpenRequests: num(row.half_open_requests),
    probe: flag(row.probe),
    updatedAt: num(row.updated_at),
    updatedBy: row.updated_by as string,
  };
}

export function breakerTransitionFromRow(row: Row): BreakerTransitionRecord {
  return {
    id: num(row.id),
    breaker: row.breaker as string,
    from: row.from_state as BreakerState,
    to: row.to_state as BreakerState,
    reason: row.reason as string,
    actor: row.actor as string,
    at: num(row.at),
    details: jsonOrNull<JsonValue>(row.details),
  };
}

/*
 * The breaker writes' SQL and parameters, the same on both backends (each runs them in its own
 * transaction, sqlite/breakers.ts and postgres/breakers.ts).
 */

/** a node's policy: the state columns are left alone, so a restart never closes an open breaker */
export const upsertBreakerSql = `INSERT INTO breakers (name, failure_threshold, recovery_timeout_ms, half_open_requests, probe, updated_at, updated_by)
  VALUES (?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (name) DO UPDATE SET failure_threshold = excluded.failure_threshold,
    recovery_timeout_ms = excluded.recovery_timeout_ms,
    half_open_requests = excluded.half_open_requests, probe = excluded.probe`;

export function upsertBreakerParams(d: BreakerDefinition, actor: string, now: number): unknown[] {
  return [
    d.name,
    d.failureThreshold,
    d.recoveryTimeoutMs,
    d.halfOpenRequests,
    d.probe ? 1 : 0,
    now,
    actor,
  ];
}

/** a breaker a node reports on without having upserted it: the default policy, closed */
export const insertDefaultBreakerSql = `INSERT INTO breakers (name, state, failure_threshold, recovery_timeout_ms, half_open_requests, probe, updated_at, updated_by)
  VALUES (?, ?, ?, ?, ?, 0, ?, ?) ON CONFLICT (name) DO NOTHING`;

export function insertDefaultBreakerParams(name: string, actor: string, now: number): unknown[] {
  const p = defaultBreakerPolicy;
  return [
    name,
    closedBreaker.state,
    p.failureThreshold,
    p.recoveryTimeoutMs,
    p.halfOpenRequests,
    now,
    actor,
  ];
}

export const moveBreakerSql = `UPDATE breakers SET state = ?, failures = ?, opened_at = ?, next_attempt_at = ?, backoff_ms = ?,
  trial_slots = ?, trial_successes = ?, manual = ?, reason = ?, updated_at = ?, updated_by = ?
  WHERE name = ? RETURNING *`;

export function moveBreakerParams(
  name: string,
  n: BreakerSnapshot,
  actor: string,
  now: number,
): unknown[] {
  return [
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
  ];
}

export const insertBreakerTransitionSql =
  "INSERT INTO breaker_transitions (breaker, from_state, to_state, reason, actor, at, details) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *";

export function breakerTransitionParams(
  name: string,
  t: BreakerTransition,
  event: BreakerEvent,
  actor: string,
  now: number,
): unknown[] {
  const details: Record<string, JsonValue> = { message: t.message };
  if (event.kind === "failure") details.code = event.code;
  if (event.kind === "trip") details.note = event.reason;
  if (event.kind === "reset") details.note = event.note;
  return [name, t.from, t.to, t.reason, actor, now, JSON.stringify(details)];
}

export function breakerTransitionsSql(breaker: string | undefined): string {
  return breaker === undefined
    ? "SELECT * FROM breaker_transitions ORDER BY id DESC LIMIT ?"
    : "SELECT * FROM breaker_transitions WHERE breaker = ? ORDER BY id DESC LIMIT ?";
}

/** An operator's trip or reset as the event core moves the breaker by, and its audit note. */
export function operatorBreakerEvent(
  kind: "trip" | "reset",
  change: OperatorChange,
): { event: BreakerEvent; audit: (AuditNote & { reason: string | null }) | undefined } {
  const { actor, audit } = change;
  const reason = change.reason ?? null;
  const event: BreakerEvent =
    kind === "trip" ? { kind, actor, reason: reason ?? "" } : { kind, actor, note: reason };
  return { event, audit: audit && { ...audit, reason } };
}
