import type { BreakerState } from "../core/breaker.js";
import type { JsonValue } from "../core/canonical-json.js";
import type { BreakerRecord, BreakerTransitionRecord } from "./breakers.js";
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
