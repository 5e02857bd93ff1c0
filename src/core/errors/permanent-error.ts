import type { KeelErrorCode } from "./codes.js";
import { isKeelError, KeelError, type KeelErrorOptions } from "./keel-error.js";

/**
 * Thrown by a step to say "retrying cannot help": the run goes to quarantine at once with
 * reason `permanent:<code>`. `code` names the failure class, e.g. `parse_error`.
 */
export class PermanentError extends KeelError {
  readonly isPermanentError = true;

  constructor(
    message: string,
    code = "permanent",
    options: Omit<KeelErrorOptions, "retryable"> = {},
  ) {
    // the step's own failure class: not one of keel's codes, carried as given
    super(code as KeelErrorCode, message, { ...options, retryable: false });
  }
}

export function isPermanentError(value: unknown): value is PermanentError {
  return isKeelError(value) && (value as { isPermanentError?: unknown }).isPermanentError === true;
}
