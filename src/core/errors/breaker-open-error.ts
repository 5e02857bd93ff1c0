import { KeelError } from "./keel-error.js";

/**
 * A step was not run because a breaker it uses is open (or half-open with no trial slot left):
 * the `cause` a fallback receives. Retryable: the dependency is expected back.
 */
export class BreakerOpenError extends KeelError {
  readonly isBreakerOpenError = true;
  readonly breaker: string;

  constructor(breaker: string, reason: string | null) {
    super(
      "breaker_open",
      `breaker "${breaker}" is open${reason ? ` (${reason})` : ""}; the step was not run`,
      { retryable: true, details: { breaker, reason } },
    );
    this.breaker = breaker;
  }
}
