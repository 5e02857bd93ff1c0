import { KeelErrorCode } from "./codes.js";
import { hasKeelCode, KeelError } from "./keel-error.js";

/** The store cannot be opened or used: missing, corrupt, newer than this code, locked. */
export class StoreError extends KeelError {
  constructor(code: KeelErrorCode, message: string, cause?: unknown, retryable = false) {
    super(code, message, { cause, retryable });
  }
}

/** A write failed because the disk holding the store is full: a condition to wait out, not a bug. */
export function isStoreFull(error: unknown): boolean {
  return hasKeelCode(error, KeelErrorCode.storeFull);
}
