import { classifyError } from "./classify.js";
import { isKeelError } from "./keel-error.js";
import { PermanentError } from "./permanent-error.js";
import { isTransientError, TransientError } from "./transient-error.js";

/**
 * An error as plain data, to cross a process boundary (an isolated step's child to its node) with
 * its class intact: the taxonomy's verdict (code, retryable) is taken where the error was thrown,
 * so a PermanentError, a SyntaxError or an EACCES is handled the same in a child as inline.
 */
export interface SerializedError {
  name: string;
  message: string;
  stack: string | undefined;
  code: string;
  retryable: boolean;
  details: Record<string, unknown>;
  nextRetryDelayMs: number | undefined;
}

export function serializeError(error: Error): SerializedError {
  const cls = classifyError(error);
  return {
    name: error.name,
    message: error.message,
    stack: error.stack,
    code: cls.code,
    retryable: cls.retryable,
    details: isKeelError(error) ? plainDetails(error.details) : {},
    nextRetryDelayMs: isTransientError(error) ? error.nextRetryDelayMs : undefined,
  };
}

/** The error again, as the class the retry engine reads: permanent, or transient with its delay. */
export function deserializeError(data: SerializedError): PermanentError | TransientError {
  const error = data.retryable
    ? new TransientError(data.message, data.code, {
        details: data.details,
        nextRetryDelayMs: data.nextRetryDelayMs,
      })
    : new PermanentError(data.message, data.code, { details: data.details });
  if (data.stack) error.stack = data.stack;
  return error;
}

function plainDetails(details: Record<string, unknown>): Record<string, unknown> {
  try {
    return JSON.parse(JSON.stringify(details)) as Record<string, unknown>;
  } catch {
    return {};
  }
}
