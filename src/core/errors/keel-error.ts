import type { KeelErrorCode } from "./codes.js";

/**
 * The root of keel's error hierarchy. Every error carries a stable `code` that the CLI, the API
 * and the store speak, and `retryable`, which tells the retry engine what to do with it.
 *
 * Errors are recognised by marker properties, not `instanceof` (cockatiel's errors do the same):
 * a pipeline module that resolves its own copy of keel throws that copy's classes, which a
 * node's `instanceof` would not know.
 */
export interface KeelErrorOptions {
  cause?: unknown;
  retryable?: boolean;
  details?: Record<string, unknown>;
}

export class KeelError extends Error {
  readonly isKeelError = true;
  /** a KeelErrorCode, except for a step's PermanentError or TransientError, which name their own */
  readonly code: string;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;

  constructor(code: KeelErrorCode, message: string, options: KeelErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? {};
  }
}

export function isKeelError(value: unknown): value is KeelError {
  return (
    value instanceof Error &&
    (value as { isKeelError?: unknown }).isKeelError === true &&
    typeof (value as { code?: unknown }).code === "string"
  );
}

/** A KeelError with the given code: the one way keel tests for one of its codes. */
export function hasKeelCode(value: unknown, code: KeelErrorCode): value is KeelError {
  return isKeelError(value) && value.code === code;
}
