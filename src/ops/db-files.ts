import { closeSync, fsyncSync, openSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { KeelError } from "../core/errors/keel-error.js";
import { resolveHome, sqlitePathFor, storeLocation } from "../store/home.js";
import { readLivePid } from "./pidfile.js";

/**
 * Where the store's files live and how backups are named: `$KEEL_HOME/backups/keel-<UTC time>.db`
 * for a SQLite store, `.pgdump` (pg_dump's custom format) for a PostgreSQL one. The time has
 * millisecond precision and sorts as text, so the newest backup is the last name.
 */
export function backupsDir(home: string): string {
  return join(home, "backups");
}

/** `2025-01-31T12-00-00.123Z`: an ISO time that is a valid file name everywhere. */
export function fileStamp(ms: number): string {
  return new Date(ms).toISOString().replace(/:/g, "-");
}

export type BackupKind = "db" | "pgdump";

/** the kind of backup this home's store makes: a SQLite file, or a dump of a PostgreSQL schema */
export function backupKind(home: string): BackupKind {
  return serverStoreUrl(home) === null ? "db" : "pgdump";
}

export function backupName(ms: number, kind: BackupKind = "db"): string {
  return `keel-${fileStamp(ms)}.${kind}`;
}

const backupPatterns: Record<BackupKind, RegExp> = {
  db: /^keel-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3}Z\.db$/,
  pgdump: /^keel-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3}Z\.pgdump$/,
};

/**
 * keel's own backups of this home's kind of store in the backups folder, newest first; files of
 * other names are not ours.
 */
export function listBackups(home: string, kind: BackupKind = backupKind(home)): string[] {
  const backupPattern = backupPatterns[kind];
  let names: string[];
  try {
    names = readdirSync(backupsDir(home));
  } catch {
    return [];
  }
  return names
    .filter((n) => backupPattern.test(n))
    .sort()
    .reverse()
    .map((n) => join(backupsDir(home), n));
}

export function newestBackup(home: string): string | null {
  return listBackups(home)[0] ?? null;
}

/** A keel command line for this home: `--home` is added unless it is the default one. */
export function keelCommand(home: string, args: string): string {
  return home === resolveHome() ? `keel ${args}` : `keel ${args} --home ${home}`;
}

/** The command that brings back the newest backup, or its template when there is none. */
export function restoreHint(home: string): string {
  return keelCommand(home, `db restore ${newestBackup(home) ?? "<backup-file>"} --yes`);
}

/** The SQLite file of this home (or of KEEL_STORE); the db commands work on the file itself. */
export function storeFile(home: string, what = "this command"): string {
  const path = sqlitePathFor({ home });
  if (path === null)
    throw new KeelError(
      "unsupported_store",
      `${what} works on a SQLite store, and KEEL_STORE names a PostgreSQL one (${storeLocation(home)})`,
    );
  return path;
}

/** The PostgreSQL store the db commands work on (KEEL_STORE), or null for the home's SQLite file. */
export function serverStoreUrl(home: string): string | null {
  return sqlitePathFor({ home }) === null ? (process.env.KEEL_STORE ?? null) : null;
}

/** A rename is durable only once its folder is fsynced. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // some filesystems cannot fsync a folder; the rename itself is still atomic
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Restore and rebuild --apply must not change the store under a running node. */
export function assertNoNodeRunning(home: string, what: string): void {
  const pid = readLivePid(home);
  if (pid !== null && pid !== process.pid)
    throw new KeelError(
      "node_running",
      `a keel node is running for ${home} (pid ${pid}); stop it with \`keel stop\` before ${what}`,
      { details: { pid, home } },
    );
}
