import { KeelError, type KeelErrorOptions } from "./keel-error.js";

/**
 * Thrown by a step to say "retrying cannot help": the run goes to quarantine at once with
 * reason `permanent:<code>`. `code` names the failure class, e.g. `parse_error`.
 */
export class PermanentError extends KeelError {
  constructor(
    message: string,
    code = "permanent",
    options: Omit<KeelErrorOptions, "retryable"> = {},
  ) {
    super(code, message, { ...options, retryable: false });
  }
}

export function isPermanentError(value: unknown): value is PermanentError {
  return value instanceof PermanentError;
}
