import { KeelErrorCode } from "../../core/errors/codes.js";
import { isKeelError } from "../../core/errors/keel-error.js";
import { StoreError } from "../../core/errors/store-errors.js";
import { redact } from "./open.js";

/**
 * The server's and the network's failures, in keel's words: what is wrong and what to do. keel's
 * own errors (LeaseLostError, NotFoundError...) and statement errors pass through unchanged.
 */
export function asStoreError(error: unknown, url: string): unknown {
  if (isKeelError(error)) return error;
  const code = String((error as { code?: unknown } | null)?.code ?? "");
  const message = (error as Error | null)?.message ?? String(error);
  const where = `PostgreSQL at ${redact(url)}`;
  if (networkCodes.has(code) || code.startsWith("08") || code === "57P01" || code === "57P03")
    return new StoreError(
      KeelErrorCode.storeUnavailable,
      `${where} is unreachable (${message}); check that the server runs and that KEEL_STORE names it`,
      error,
      true,
    );
  if (code === "28P01" || code === "28000")
    return new StoreError(
      KeelErrorCode.storeUnavailable,
      `${where} refused the login (${message}); check the user and password in KEEL_STORE and the server's pg_hba.conf`,
      error,
    );
  if (code === "42501")
    return new StoreError(
      KeelErrorCode.storeError,
      `${where}: ${message}; this user lacks a right keel needs: migrate the schema once as the user that owns it, and grant this one USAGE on the schema and SELECT, INSERT, UPDATE, DELETE on its tables and USAGE on its sequences (docs/operations.md#postgresql-store)`,
      error,
    );
  if (code === "3D000")
    return new StoreError(
      KeelErrorCode.storeMissing,
      `${where}: ${message}; create the database (createdb) or name an existing one in KEEL_STORE`,
      error,
    );
  return error;
}

const networkCodes = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "ETIMEDOUT",
  "ECONNRESET",
  "EHOSTUNREACH",
  "EAI_AGAIN",
]);
