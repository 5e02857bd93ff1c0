import { existsSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import { InvalidInputError } from "../core/errors/definition-errors.js";
import { StoreError } from "../core/errors/store-errors.js";
import { backupStoreFile, verifyStoreCopy, type StoreCopyInfo } from "../store/files.js";
import { backupTemp, keepBackup, uniqueBackupPath } from "./backup-rotation.js";
import { keelCommand, restoreHint, serverStoreUrl } from "./db-files.js";
import type { BackupResult } from "./db-results.js";
import { backupServerStore } from "./db-server.js";

export type { BackupResult };
import { requireStoreFile } from "./db-preflight.js";

/**
 * `keel db backup`: an online copy of the store, safe while a node runs. The copy is written under
 * a temp name, checked (integrity_check, keel's tables, schema version), fsynced, then renamed
 * into place: a backup file that exists is whole and was checked. Files are 0600. A PostgreSQL
 * store is dumped with pg_dump instead (db-server.ts).
 */
export interface BackupOptions {
  home: string;
  /** a file to write instead of `$KEEL_HOME/backups/keel-<time>.db`; nothing is rotated then */
  to?: string;
  /** backups to keep in the backups folder, the new one included */
  keep: number;
  now?: () => number;
}

export async function backupStore(options: BackupOptions): Promise<BackupResult> {
  const now = options.now ?? Date.now;
  const url = serverStoreUrl(options.home);
  if (url !== null) return backupServerStore({ ...options, url, now });
  const started = now();
  const source = requireStoreFile(options.home);
  const dest = options.to ? resolve(options.to) : uniqueBackupPath(options.home, started);
  if (existsSync(dest))
    throw new InvalidInputError(`${dest} already exists; choose another --to file`, {
      file: dest,
    });
  const temp = backupTemp(dest);
  try {
    await backupStoreFile(source, temp);
    const info = verifiedBackup(options.home, source, temp);
    const removed = keepBackup(options.home, temp, dest, options.to ? null : options.keep);
    return {
      file: dest,
      bytes: info.bytes,
      integrity: info.integrity,
      schemaVersion: info.schemaVersion,
      runs: info.runs,
      ms: now() - started,
      removed,
    };
  } finally {
    for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(temp + suffix, { force: true });
  }
}

/** A copy that fails its checks means the store itself is damaged: nothing is kept. */
function verifiedBackup(home: string, source: string, temp: string): StoreCopyInfo {
  try {
    return verifyStoreCopy(temp);
  } catch (error) {
    const reason = (error as Error).message.replace(`${temp} is not a usable keel store: `, "");
    throw new StoreError(
      "store_corrupt",
      `the copy of ${source} fails its checks (${reason}); no backup was kept. The store itself is damaged: see \`${keelCommand(home, "db check")}\`, and restore the newest good backup with \`${restoreHint(home)}\`.`,
      error,
    );
  }
}
