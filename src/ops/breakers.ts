import type { BreakerView } from "../engine/breaker-actions.js";
import type { Keel } from "../engine/keel.js";
import type { BreakerChange, BreakerTransitionRecord } from "../store/breakers.js";

/**
 * The operator's breaker procedures: list, trip, reset. Each returns plain objects whose
 * snake_case fields are the stable JSON of `keel breakers` (docs/cli.md), so the HTTP API can
 * return them unchanged. Trip and reset are audited in the transaction of the change.
 */
export interface BreakerTransitionJson {
  from: string;
  to: string;
  reason: string;
  actor: string;
  at: string;
  details: unknown;
}

export interface BreakerJson {
  name: string;
  state: "closed" | "open" | "half_open";
  /** tripped by an operator: open until reset */
  manual: boolean;
  reason: string | null;
  failures: number;
  failure_threshold: number;
  recovery_timeout_ms: number;
  half_open_requests: number;
  probe: boolean;
  opened_at: string | null;
  next_attempt_at: string | null;
  backoff_ms: number;
  trial_slots: number;
  trial_successes: number;
  updated_at: string;
  updated_by: string;
  /** newest first */
  history: BreakerTransitionJson[];
}

export interface BreakerChangeJson extends BreakerJson {
  /** deferred runs this change made due at once */
  woken: number;
}

const historyLength = 10;

export async function listBreakers(
  keel: Keel,
  options: { history?: number } = {},
): Promise<{ breakers: BreakerJson[] }> {
  const views = await keel.breakers.list({ history: options.history ?? historyLength });
  return { breakers: views.map(breakerJson) };
}

export async function tripBreaker(
  keel: Keel,
  name: string,
  options: { reason: string; actor: string },
): Promise<BreakerChangeJson> {
  return changeJson(keel, await keel.breakers.trip(name, options));
}

export async function resetBreaker(
  keel: Keel,
  name: string,
  options: { note?: string; actor: string },
): Promise<BreakerChangeJson> {
  return changeJson(keel, await keel.breakers.reset(name, options));
}

async function changeJson(keel: Keel, change: BreakerChange): Promise<BreakerChangeJson> {
  const history = await keel.store.listBreakerTransitions({
    breaker: change.breaker.name,
    limit: historyLength,
  });
  return { ...breakerJson({ ...change.breaker, history }), woken: change.woken };
}

export function breakerJson(b: BreakerView): BreakerJson {
  return {
    name: b.name,
    state: b.state,
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
    history: b.history.map(transitionJson),
  };
}

function transitionJson(t: BreakerTransitionRecord): BreakerTransitionJson {
  return {
    from: t.from,
    to: t.to,
    reason: t.reason,
    actor: t.actor,
    at: new Date(t.at).toISOString(),
    details: t.details,
  };
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
