import { randomBytes } from "node:crypto";
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
import { basename, dirname, join } from "node:path";
import { backupName, backupsDir, fsyncDir, listBackups, type BackupKind } from "./db-files.js";

/**
 * Names for new backups, the temp file a backup is written to and checked in before it takes its
 * name, and the rotation that keeps the newest few.
 */
export function backupTemp(dest: string): string {
  mkdirSync(dirname(dest), { recursive: true, mode: 0o700 });
  const temp = join(dirname(dest), `.${basename(dest)}.${randomBytes(4).toString("hex")}.tmp`);
  // created 0600 before a byte is written into it, so the copy is never readable by others
  closeSync(openSync(temp, "wx", 0o600));
  return temp;
}

/**
 * A checked temp copy made durable under its name; with `keep`, the backups folder's oldest beyond
 * the newest `keep` are removed (their names returned).
 */
export function keepBackup(
  home: string,
  temp: string,
  dest: string,
  keep: number | null,
): string[] {
  const fd = openSync(temp, "r+");
  fsyncSync(fd);
  closeSync(fd);
  chmodSync(temp, 0o600);
  renameSync(temp, dest);
  fsyncDir(dirname(dest));
  return keep === null ? [] : pruneBackups(home, keep, dest).files;
}

export function uniqueBackupPath(home: string, ms: number, kind: BackupKind = "db"): string {
  // two backups in the same millisecond must not share a name
  let at = ms;
  while (existsSync(join(backupsDir(home), backupName(at, kind)))) at += 1;
  return join(backupsDir(home), backupName(at, kind));
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
