import { InvalidInputError } from "../core/errors/definition-errors.js";
import { openStore } from "../store/open-store.js";
import { isPostgresUrl } from "../store/home.js";
import { copySqliteToPostgres } from "../store/copy-store.js";
import type { CopyResult } from "../store/store-copy.js";
import { assertNoNodeRunning, storeFile } from "./db-files.js";
import { requireStoreFile } from "./db-preflight.js";

/**
 * `keel db copy --to postgres://...`: this home's SQLite store into a PostgreSQL schema, for a
 * team that outgrows one machine. The node must be stopped: the copy is a snapshot, and a run the
 * node finished after it would be missing from the new store.
 */
export async function copyStore(options: {
  home: string;
  to: string;
  replace: boolean;
  now?: () => number;
}): Promise<CopyResult> {
  if (!isPostgresUrl(options.to))
    throw new InvalidInputError(
      `--to must be a PostgreSQL URL (postgres://user@host:5432/database, optionally ?schema=name), not "${options.to.replace(/\/\/([^:/@]*):[^@]*@/, "//$1:***@")}"`,
      { field: "to" },
    );
  const file = storeFile(options.home, "keel db copy (it moves a SQLite store into PostgreSQL)");
  requireStoreFile(options.home);
  assertNoNodeRunning(options.home, "copying the store");
  // the copy maps columns by name: the SQLite file is brought to this keel's schema first
  await openStore({ home: options.home }).close();
  return copySqliteToPostgres(file, options.to, { replace: options.replace, now: options.now });
}
