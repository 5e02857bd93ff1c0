import { KeelError } from "./keel-error.js";

/** The store cannot be opened or used: missing, corrupt, newer than this code, locked. */
export class StoreError extends KeelError {
  constructor(code: string, message: string, cause?: unknown, retryable = false) {
    super(code, message, { cause, retryable });
  }
}
