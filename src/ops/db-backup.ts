import {
  chmodSync,
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { InvalidInputError } from "../core/errors/definition-errors.js";
import { StoreError } from "../core/errors/store-errors.js";
import { backupStoreFile, verifyStoreCopy, type StoreCopyInfo } from "../store/files.js";
import {
  backupName,
  backupsDir,
  fsyncDir,
  keelCommand,
  listBackups,
  restoreHint,
} from "./db-files.js";
import { requireStoreFile } from "./db-preflight.js";

/**
 * `keel db backup`: an online copy of the store, safe while a node runs. The copy is written under
 * a temp name, checked (integrity_check, keel's tables, schema version), fsynced, then renamed
 * into place: a backup file that exists is whole and was checked. Files are 0600.
 */
export interface BackupOptions {
  home: string;
  /** a file to write instead of `$KEEL_HOME/backups/keel-<time>.db`; nothing is rotated then */
  to?: string;
  /** backups to keep in the backups folder, the new one included */
  keep: number;
  now?: () => number;
}

export interface BackupResult {
  file: string;
  bytes: number;
  integrity: "ok";
  schemaVersion: number;
  runs: number;
  ms: number;
  removed: string[];
}

export async function backupStore(options: BackupOptions): Promise<BackupResult> {
  const now = options.now ?? Date.now;
  const started = now();
  const source = requireStoreFile(options.home);
  const dest = options.to ? resolve(options.to) : uniqueBackupPath(options.home, started);
  if (existsSync(dest))
    throw new InvalidInputError(`${dest} already exists; choose another --to file`, {
      file: dest,
    });
  mkdirSync(dirname(dest), { recursive: true, mode: 0o700 });
  const temp = join(dirname(dest), `.${basename(dest)}.${randomBytes(4).toString("hex")}.tmp`);
  // created 0600 before SQLite writes a byte into it, so the copy is never readable by others
  closeSync(openSync(temp, "wx", 0o600));
  try {
    await backupStoreFile(source, temp);
    const info = verifiedBackup(options.home, source, temp);
    const fd = openSync(temp, "r+");
    fsyncSync(fd);
    closeSync(fd);
    chmodSync(temp, 0o600);
    renameSync(temp, dest);
    fsyncDir(dirname(dest));
    const removed = options.to ? [] : pruneBackups(options.home, options.keep, dest).files;
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

function uniqueBackupPath(home: string, ms: number): string {
  // two backups in the same millisecond must not share a name
  let at = ms;
  while (existsSync(join(backupsDir(home), backupName(at)))) at += 1;
  return join(backupsDir(home), backupName(at));
}

/**
 * Deletes the oldest of keel's backups beyond the newest `keep` (the scheduled rotation, and the
 * disk guard's cleanup). `made`, the backup just taken, is always kept and counts as one of them: a
 * clock set back could name it older than the rest. Other files in the folder are left alone.
 */
export function pruneBackups(
  home: string,
  keep: number,
  made?: string,
): { files: string[]; bytes: number } {
  const stale = listBackups(home)
    .filter((f) => f !== made)
    .slice(Math.max(0, made === undefined ? keep : keep - 1));
  let bytes = 0;
  for (const file of stale) {
    bytes += sizeOf(file);
    rmSync(file, { force: true });
  }
  return { files: stale, bytes };
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
