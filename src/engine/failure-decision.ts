import type { ErrorClass } from "../core/errors/classify.js";
import { KeelErrorCode } from "../core/errors/codes.js";
import { isTransientError } from "../core/errors/transient-error.js";
import { backoffDelayMs, type RetryPolicy } from "../core/retry.js";
import type { ErrorInfo } from "../store/records.js";

/**
 * What a failed attempt means for its run: try again after a delay, or quarantine with a reason.
 * Permanent errors quarantine at once; transient ones retry until `maxAttempts`.
 */
export type Failure =
  | { kind: "retry"; delayMs: number; error: ErrorInfo }
  | { kind: "quarantine"; reason: string; error: ErrorInfo };

export interface FailedAttempt {
  cls: ErrorClass;
  error: Error;
  /** the error as the store records it */
  info: ErrorInfo;
  attempt: number;
  policy: RetryPolicy;
}

export function decideFailure({ cls, error, info, attempt, policy }: FailedAttempt): Failure {
  if (!cls.retryable)
    return {
      kind: "quarantine",
      // a failed quality gate names itself: gate:<name>
      reason:
        cls.code === KeelErrorCode.badOutput
          ? "bad_output"
          : cls.code.startsWith("gate:")
            ? cls.code
            : `permanent:${cls.code}`,
      error: info,
    };
  if (attempt >= policy.maxAttempts)
    return {
      kind: "quarantine",
      reason: cls.code === KeelErrorCode.timeout ? "timeout" : "max_attempts",
      error: info,
    };
  const hinted = isTransientError(error) ? error.nextRetryDelayMs : undefined;
  return { kind: "retry", delayMs: hinted ?? backoffDelayMs(policy, attempt), error: info };
}

/** true when the step's retries ran out (not a permanent error): a fallback may serve instead */
export function retriesExhausted(
  failure: Failure,
): failure is Extract<Failure, { kind: "quarantine" }> {
  return failure.kind === "quarantine" && ["max_attempts", "timeout"].includes(failure.reason);
}

/** a permanent failure outranks a retry asked for by a sibling step */
export function worseFailure(current: Failure | undefined, next: Failure): Failure {
  return !current || (current.kind === "retry" && next.kind === "quarantine") ? next : current;
}
