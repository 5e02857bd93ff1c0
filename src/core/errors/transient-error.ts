import type { KeelErrorCode } from "./codes.js";
import { isKeelError, KeelError, type KeelErrorOptions } from "./keel-error.js";

/**
 * Thrown by a step to say "try again later". `nextRetryDelayMs` overrides the backoff for this
 * one retry (a dependency that said "retry after 30 s", for instance).
 */
export class TransientError extends KeelError {
  readonly isTransientError = true;
  readonly nextRetryDelayMs: number | undefined;

  constructor(
    message: string,
    code = "transient",
    options: Omit<KeelErrorOptions, "retryable"> & { nextRetryDelayMs?: number } = {},
  ) {
    // the step's own failure class: not one of keel's codes, carried as given
    super(code as KeelErrorCode, message, { ...options, retryable: true });
    this.nextRetryDelayMs = options.nextRetryDelayMs;
  }
}

export function isTransientError(value: unknown): value is TransientError {
  return isKeelError(value) && (value as { isTransientError?: unknown }).isTransientError === true;
}
