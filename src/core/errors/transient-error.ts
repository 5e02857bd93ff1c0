import { KeelError, type KeelErrorOptions } from "./keel-error.js";

/**
 * Thrown by a step to say "try again later". `nextRetryDelayMs` overrides the backoff for this
 * one retry (a dependency that said "retry after 30 s", for instance).
 */
export class TransientError extends KeelError {
  readonly nextRetryDelayMs: number | undefined;

  constructor(
    message: string,
    code = "transient",
    options: Omit<KeelErrorOptions, "retryable"> & { nextRetryDelayMs?: number } = {},
  ) {
    super(code, message, { ...options, retryable: true });
    this.nextRetryDelayMs = options.nextRetryDelayMs;
  }
}
