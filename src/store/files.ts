import type { StoreError } from "../core/errors/store-errors.js";
import { sqliteFiles } from "./sqlite/files.js";
import { postgresDumps } from "./postgres/dump.js";
import type { ServerDumps } from "./server-dumps.js";
import type { StoreCopyInfo, StoreFileState, StoreFiles } from "./store-files.js";

/**
 * The store-file operations for everything above the store (status, health, db check, backup,
 * restore, the CLI's error report), dispatched to the backend that keeps the file. Paths come from
 * `sqlitePathFor` in open-store.ts, which names no file for a server backend.
 */
const fileBackends: readonly StoreFiles[] = [sqliteFiles];
const [files] = fileBackends as [StoreFiles];

export type { StoreCopyInfo, StoreFileState };
export type { DumpContents, ToolCommand } from "./server-dumps.js";

/** the dump tools of the store kept by a server (a postgres:// URL) */
export const serverDumps: ServerDumps = postgresDumps;

export function inspectStoreFile(path: string): StoreFileState {
  // a PostgreSQL store (open-store.ts storeLocation names its URL): the server checks its storage
  if (/^postgres(ql)?:\/\//i.test(path)) return { kind: "ok", bytes: 0 };
  return files.inspect(path);
}

export function backupStoreFile(source: string, dest: string): Promise<void> {
  return files.backup(source, dest);
}

export function verifyStoreCopy(path: string): StoreCopyInfo {
  return files.verifyCopy(path);
}

/** A backend error met mid-query on damaged storage, as a store error; undefined for others. */
export function storeFailure(error: unknown): StoreError | undefined {
  for (const backend of fileBackends) {
    const failure = backend.failure(error);
    if (failure) return failure;
  }
  return undefined;
}
