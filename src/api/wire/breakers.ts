import * as z from "zod";
import type { BreakerView } from "../../engine/breaker-actions.js";
import type { BreakerTransitionRecord } from "../../store/breakers.js";
import type { ChangedBreaker } from "../../ops/breakers.js";

/**
 * The stable JSON of `keel breakers` (docs/cli.md) and `/v1/breakers`: a breaker with its
 * latest state changes, newest first; a trip or reset adds how many deferred runs it woke.
 */
export function breakerJson(b: BreakerView) {
  return {
    name: b.name,
    state: b.state,
    /** tripped by an operator: open until reset */
    manual: b.manual,
    reason: b.reason,
    failures: b.failures,
    failure_threshold: b.failureThreshold,
    recovery_timeout_ms: b.recoveryTimeoutMs,
    half_open_requests: b.halfOpenRequests,
    probe: b.probe,
    opened_at: iso(b.openedAt),
    next_attempt_at: iso(b.nextAttemptAt),
    backoff_ms: b.backoffMs,
    trial_slots: b.trialSlots,
    trial_successes: b.trialSuccesses,
    updated_at: new Date(b.updatedAt).toISOString(),
    updated_by: b.updatedBy,
    history: b.history.map(breakerTransitionJson),
  };
}

export function breakerChangeJson(change: ChangedBreaker) {
  return { ...breakerJson(change.breaker), woken: change.woken };
}

function breakerTransitionJson(t: BreakerTransitionRecord) {
  return {
    from: t.from,
    to: t.to,
    reason: t.reason,
    actor: t.actor,
    at: new Date(t.at).toISOString(),
    // free-form: what the change carried (a failure's code, a probe's answer), keys as written
    details: t.details,
  };
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

const breakerShape = {
  name: z.string(),
  state: z.enum(["closed", "open", "half_open"]),
  manual: z.boolean(),
  reason: z.string().nullable(),
  failures: z.number(),
  failure_threshold: z.number(),
  recovery_timeout_ms: z.number(),
  half_open_requests: z.number(),
  probe: z.boolean(),
  opened_at: z.string().nullable(),
  next_attempt_at: z.string().nullable(),
  backoff_ms: z.number(),
  trial_slots: z.number(),
  trial_successes: z.number(),
  updated_at: z.string(),
  updated_by: z.string(),
  history: z.array(
    z.strictObject({
      from: z.string(),
      to: z.string(),
      reason: z.string(),
      actor: z.string(),
      at: z.string(),
      details: z.unknown(),
    }),
  ),
};
const breakerSchema = z.strictObject(breakerShape);
export const breakerListSchema = z.strictObject({ breakers: z.array(breakerSchema) });
export const breakerChangeSchema = z.strictObject({ ...breakerShape, woken: z.number().int() });

export type BreakerJson = z.infer<typeof breakerSchema>;
export type BreakerChangeJson = z.infer<typeof breakerChangeSchema>;
