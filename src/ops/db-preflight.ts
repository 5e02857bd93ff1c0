import { StoreError } from "../core/errors/store-errors.js";
import { inspectStoreFile } from "../store/files.js";
import { keelCommand, newestBackup, restoreHint, storeFile } from "./db-files.js";

/**
 * A look at the store file before a command opens it. A corrupt file is refused with the exact
 * command that restores this home's newest backup; a store that vanished while backups exist is
 * created empty again, with a warning that says how to get the data back.
 */
function corruptStoreFileError(home: string, file: string, reason: string): StoreError {
  return new StoreError(
    "store_corrupt",
    `the store file ${file} is corrupt (${reason}). Stop keel if it runs, then restore the newest good backup: \`${restoreHint(home)}\` (the corrupt file is kept beside it as keel.db.replaced-<time>). \`${keelCommand(home, "db check")}\` says more.`,
  );
}

/** Throws for a store no command should open; returns warnings to print. */
export function preflightStore(home: string): string[] {
  let file: string;
  try {
    file = storeFile(home);
  } catch {
    return []; // not an SQLite store: nothing to look at here
  }
  const state = inspectStoreFile(file);
  if (state.kind === "corrupt") throw corruptStoreFileError(home, file, state.reason);
  if (state.kind === "missing" && state.orphanWal)
    throw new StoreError(
      "store_missing",
      `the store file ${file} is missing but its write-ahead log ${file}-wal still holds data: it was deleted or moved while in use. Restore a backup with \`${restoreHint(home)}\`, or move ${file}-wal and ${file}-shm aside to start with an empty store.`,
    );
  if (state.kind === "missing" && newestBackup(home) !== null)
    return [
      `there is no store at ${file}: keel starts an empty one. To bring back the runs of the newest backup instead, stop keel and run \`${restoreHint(home)}\``,
    ];
  return [];
}

/** The store file of this home, for commands that need one that exists and is readable. */
export function requireStoreFile(home: string): string {
  const file = storeFile(home);
  const state = inspectStoreFile(file);
  if (state.kind === "missing")
    throw new StoreError("store_missing", `there is no store at ${file}`);
  if (state.kind === "corrupt") throw corruptStoreFileError(home, file, state.reason);
  return file;
}
