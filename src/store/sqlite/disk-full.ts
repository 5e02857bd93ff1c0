import { KeelErrorCode } from "../../core/errors/codes.js";
import { hasKeelCode, isKeelError, type KeelError } from "../../core/errors/keel-error.js";
import { StoreError } from "../../core/errors/store-errors.js";

/**
 * SQLite's "database or disk is full" (SQLITE_FULL, or ENOSPC from the file system) as keel's
 * retryable `store_full`, which the engine holds and retries (engine/held-write.ts); null for any
 * other error. An error already translated is returned as it is.
 */
export function asStoreFull(error: unknown): KeelError | null {
  if (isKeelError(error)) return hasKeelCode(error, KeelErrorCode.storeFull) ? error : null;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (code !== "SQLITE_FULL" && code !== "ENOSPC" && !/database or disk is full/i.test(message))
    return null;
  return new StoreError(
    "store_full",
    `the disk holding the store is full (${message}); the write is retried when space returns`,
    error,
    true,
  );
}
