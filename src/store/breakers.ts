import type { BreakerPolicy, BreakerSnapshot, BreakerState } from "../core/breaker.js";
import type { JsonValue } from "../core/canonical-json.js";

/**
 * Circuit breakers, in domain words: one per named dependency, shared by every node through the
 * store. The policy comes from config (upserted by each node at start, never touching the state);
 * the state moves only through core's breaker state machine, applied in one transaction, so the
 * threshold-th failure opens a breaker once however many nodes report failures at the same time.
 */
export interface BreakerDefinition extends BreakerPolicy {
  name: string;
}

export interface BreakerRecord extends BreakerDefinition, BreakerSnapshot {
  updatedAt: number;
  /** the node or operator behind the last change */
  updatedBy: string;
}

/** One state change of a breaker: append-only, like a run's transitions. */
export interface BreakerTransitionRecord {
  id: number;
  breaker: string;
  from: BreakerState;
  to: BreakerState;
  /** a stable code: failure_threshold, probe_succeeded, backoff_elapsed, trial_failed,
   * trials_succeeded, recovery_timeout, operator_trip, operator_reset */
  reason: string;
  actor: string;
  at: number;
  /** `message` in words, plus what the code needs (the error code, the operator's reason) */
  details: JsonValue | null;
}

/** What a node reports: a step's outcome, a probe that answered, a step asking to run. */
export type BreakerSignal =
  | { kind: "success" }
  | { kind: "failure"; code: string; message?: string }
  | { kind: "probe_ok" }
  | { kind: "trial" };

export interface BreakerChange {
  breaker: BreakerRecord;
  /** the state change this call made, or null */
  transition: BreakerTransitionRecord | null;
  /** for a trial: the step may run now */
  granted: boolean;
  /** deferred runs this change made due: at once, or at the next trial */
  woken: number;
}

export interface BreakerHistoryQuery {
  /** one breaker's history, or every breaker's */
  breaker?: string;
  limit: number;
}
