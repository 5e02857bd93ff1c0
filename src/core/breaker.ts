/**
 * The circuit breaker of a named dependency, as a serializable value and one pure function that
 * moves it. The store applies `moveBreaker` inside a transaction, so every node sharing the store
 * agrees on the state; nodes keep only a cache of it.
 *
 *   closed --failure_threshold--> open --probe / backoff--> half_open --trials ok--> closed
 *                                   ^--------------trial failed------------'
 */
export const BreakerState = { closed: "closed", open: "open", halfOpen: "half_open" } as const;
export type BreakerState = (typeof BreakerState)[keyof typeof BreakerState];

export interface BreakerPolicy {
  /** consecutive failures (closed) that open the breaker */
  failureThreshold: number;
  /** the longest wait before a half-open trial, and how long a trial slot is held */
  recoveryTimeoutMs: number;
  /** trial requests let through while half-open; that many successes close it */
  halfOpenRequests: number;
  /** a node probes the dependency while open: half-open follows the probe, not a backoff */
  probe: boolean;
}

export const defaultBreakerPolicy: Readonly<BreakerPolicy> = Object.freeze({
  failureThreshold: 5,
  recoveryTimeoutMs: 60_000,
  halfOpenRequests: 3,
  probe: false,
});

/** The first wait before a trial without a probe; it doubles at each failed trial. */
const initialBreakerBackoffMs = 1000;

export interface BreakerSnapshot {
  state: BreakerState;
  /** consecutive failures while closed */
  failures: number;
  openedAt: number | null;
  /** open: when a trial may start without a probe; half-open: when unanswered trial slots return */
  nextAttemptAt: number | null;
  backoffMs: number;
  /** half-open: trial slots still to hand out, and trials that succeeded */
  trialSlots: number;
  trialSuccesses: number;
  /** tripped by an operator: stays open until reset */
  manual: boolean;
  /** why it is in its state, in words */
  reason: string | null;
}

export const closedBreaker: Readonly<BreakerSnapshot> = Object.freeze({
  state: BreakerState.closed,
  failures: 0,
  openedAt: null,
  nextAttemptAt: null,
  backoffMs: 0,
  trialSlots: 0,
  trialSuccesses: 0,
  manual: false,
  reason: null,
});

export type BreakerEvent =
  | { kind: "success" }
  /** `message`: the error's own words ("ext answered 503"), shown in the breaker's reason */
  | { kind: "failure"; code: string; message?: string }
  | { kind: "probe_ok" }
  /** a step that uses the dependency asks to run */
  | { kind: "trial" }
  | { kind: "trip"; actor: string; reason: string }
  | { kind: "reset"; actor: string; note: string | null };

export interface BreakerTransition {
  from: BreakerState;
  to: BreakerState;
  /** a stable code: failure_threshold, probe_succeeded, backoff_elapsed, trials_succeeded... */
  reason: string;
  message: string;
}

export interface BreakerMove {
  next: BreakerSnapshot;
  transition: BreakerTransition | null;
  /** false when nothing needs writing */
  changed: boolean;
  /** for a trial: the step may run */
  granted: boolean;
  /**
   * Runs deferred by this breaker to make due, first in priority then creation order: how many,
   * and when (null: now, back in their old place). Half-opening wakes as many as there are trials,
   * closing wakes all; opening again after a failed trial brings as many forward to the next trial.
   */
  wake: { runs: number | "all"; at: number | null } | null;
}

export function moveBreaker(
  s: BreakerSnapshot,
  event: BreakerEvent,
  policy: BreakerPolicy,
  now: number,
): BreakerMove {
  const stay = (granted = false): BreakerMove => ({
    next: s,
    transition: null,
    changed: false,
    granted,
    wake: null,
  });
  switch (event.kind) {
    case "success":
      if (s.state === "closed") return s.failures === 0 ? stay() : update({ ...s, failures: 0 });
      if (s.state === "open") return stay();
      if (s.trialSuccesses + 1 < policy.halfOpenRequests)
        return update({ ...s, trialSuccesses: s.trialSuccesses + 1 });
      return close(s, "trials_succeeded", `${policy.halfOpenRequests} trial requests succeeded`);
    case "failure":
      if (s.state === "open") return stay();
      if (s.state === "closed" && s.failures + 1 < policy.failureThreshold)
        return update({ ...s, failures: s.failures + 1 });
      return s.state === "closed"
        ? open(
            s,
            policy,
            now,
            initialBackoff(policy),
            "failure_threshold",
            `${s.failures + 1} consecutive failures, the last ${failureWords(event)}`,
          )
        : open(
            s,
            policy,
            now,
            Math.min(policy.recoveryTimeoutMs, Math.max(initialBackoff(policy), s.backoffMs * 2)),
            "trial_failed",
            `a trial request failed: ${failureWords(event)}`,
          );
    case "probe_ok":
      if (s.state !== "open" || s.manual) return stay();
      return halfOpen(
        s,
        policy,
        now,
        policy.halfOpenRequests,
        "probe_succeeded",
        "the probe succeeded",
      );
    case "trial":
      return trial(s, policy, now);
    case "trip":
      return move(
        s,
        {
          ...s,
          state: "open",
          manual: true,
          openedAt: s.state === "open" ? s.openedAt : now,
          nextAttemptAt: null,
          trialSlots: 0,
          trialSuccesses: 0,
        },
        "operator_trip",
        `tripped by ${event.actor}: ${event.reason}`,
      );
    case "reset":
      return close(
        s,
        "operator_reset",
        `reset by ${event.actor}${event.note ? `: ${event.note}` : ""}`,
      );
  }
}

function trial(s: BreakerSnapshot, policy: BreakerPolicy, now: number): BreakerMove {
  if (s.state === "closed")
    return { next: s, transition: null, changed: false, granted: true, wake: null };
  const due = s.nextAttemptAt !== null && s.nextAttemptAt <= now;
  if (s.state === "open") {
    if (s.manual || !due)
      return { next: s, transition: null, changed: false, granted: false, wake: null };
    const [reason, waited] = policy.probe
      ? ["recovery_timeout", "the recovery timeout"]
      : ["backoff_elapsed", `the backoff of ${s.backoffMs} ms`];
    const moved = halfOpen(
      s,
      policy,
      now,
      policy.halfOpenRequests - 1,
      reason,
      `${waited} elapsed: letting trial requests through`,
    );
    return { ...moved, granted: true, wake: null };
  }
  if (s.trialSlots > 0) return { ...update({ ...s, trialSlots: s.trialSlots - 1 }), granted: true };
  if (!due) return { next: s, transition: null, changed: false, granted: false, wake: null };
  // trials handed out long ago never answered (their node died): hand the slots out again
  const slots = Math.max(1, policy.halfOpenRequests - s.trialSuccesses);
  return {
    ...update({ ...s, trialSlots: slots - 1, nextAttemptAt: now + policy.recoveryTimeoutMs }),
    granted: true,
  };
}

/** longest error message kept in a breaker's reason */
const maxMessageChars = 200;

/** "timeout", or with the error's message "error (ext answered 503)": the words say what failed */
function failureWords(event: { code: string; message?: string }): string {
  const message = event.message?.trim().replace(/\s+/g, " ");
  if (!message) return event.code;
  const short =
    message.length > maxMessageChars ? `${message.slice(0, maxMessageChars - 1)}…` : message;
  return `${event.code} (${short})`;
}

function initialBackoff(policy: BreakerPolicy): number {
  return Math.min(initialBreakerBackoffMs, policy.recoveryTimeoutMs);
}

function update(next: BreakerSnapshot): BreakerMove {
  return { next, transition: null, changed: true, granted: false, wake: null };
}

function move(
  from: BreakerSnapshot,
  next: BreakerSnapshot,
  reason: string,
  message: string,
  wake: BreakerMove["wake"] = null,
): BreakerMove {
  return {
    next: { ...next, reason: message },
    transition: { from: from.state, to: next.state, reason, message },
    changed: true,
    granted: false,
    wake,
  };
}

function open(
  s: BreakerSnapshot,
  policy: BreakerPolicy,
  now: number,
  backoffMs: number,
  reason: string,
  message: string,
): BreakerMove {
  // with a probe the probe decides; the recovery timeout is only the safety net
  const wait = policy.probe ? policy.recoveryTimeoutMs : backoffMs;
  return move(
    s,
    {
      ...s,
      state: "open",
      failures: 0,
      openedAt: now,
      nextAttemptAt: now + wait,
      backoffMs,
      trialSlots: 0,
      trialSuccesses: 0,
    },
    reason,
    message,
    // runs that waited for the trial that failed: as many as carry the next trial come forward to
    // it, or they would wait for the trial deadline, well past the backoff
    { runs: policy.halfOpenRequests, at: now + wait },
  );
}

function halfOpen(
  s: BreakerSnapshot,
  policy: BreakerPolicy,
  now: number,
  slots: number,
  reason: string,
  message: string,
): BreakerMove {
  return move(
    s,
    {
      ...s,
      state: "half_open",
      nextAttemptAt: now + policy.recoveryTimeoutMs,
      trialSlots: slots,
      trialSuccesses: 0,
    },
    reason,
    message,
    { runs: policy.halfOpenRequests, at: null },
  );
}

function close(s: BreakerSnapshot, reason: string, message: string): BreakerMove {
  return move(s, { ...closedBreaker }, reason, message, { runs: "all", at: null });
}

/** Checks a policy given by a user; names the field and the breaker in the error. */
export function breakerPolicyProblems(policy: BreakerPolicy): string[] {
  const problems: string[] = [];
  const whole = (field: keyof BreakerPolicy, min: number, max: number): void => {
    const value = policy[field] as number;
    if (!Number.isInteger(value) || value < min || value > max)
      problems.push(`${field} must be a whole number from ${min} to ${max}, got ${String(value)}`);
  };
  whole("failureThreshold", 1, 1_000_000);
  whole("recoveryTimeoutMs", 1, 86_400_000);
  whole("halfOpenRequests", 1, 10_000);
  return problems;
}
