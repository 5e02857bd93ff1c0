/**
 * The root of keel's error hierarchy. Every error carries a stable `code` that the CLI, the API
 * and the store speak, and `retryable`, which tells the retry engine what to do with it.
 */
export interface KeelErrorOptions {
  cause?: unknown;
  retryable?: boolean;
  details?: Record<string, unknown>;
}

export class KeelError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;

  constructor(code: string, message: string, options: KeelErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? {};
  }
}

export function isKeelError(value: unknown): value is KeelError {
  return value instanceof KeelError;
}
