import { statSync } from "node:fs";
import { StoreError } from "../../core/errors/store-errors.js";
import { KeelErrorCode } from "../../core/errors/codes.js";
import { hasKeelCode } from "../../core/errors/keel-error.js";
import type { StoreCopyInfo } from "../store-files.js";
import { loadMigrations, pendingMigrations } from "../migration-files.js";
import { Database } from "./driver.js";
import { inspectStoreFile } from "./file-check.js";
import { readLedger } from "./migrate.js";

/**
 * Copies of the store file, for backup and restore. The copy is made through SQLite (never a
 * plain file copy, which would miss what is still in the WAL or tear a page a node is writing)
 * and is checked before anyone relies on it.
 */
const migrationsFolder = new URL("./migrations/", import.meta.url);
const keelTables = ["schema_migrations", "runs", "step_results", "transitions"];

/** An online backup of `source` into `dest` (an empty or missing file), safe beside a live node. */
export async function backupSqliteFile(source: string, dest: string): Promise<void> {
  const db = new Database(source, { readonly: true, fileMustExist: true });
  try {
    db.pragma("busy_timeout = 5000");
    // every page in one step, one read snapshot: copied a hundred pages at a time, the backup
    // restarts at each commit of the node and may never finish under load
    await db.backup(dest, { progress: () => 0x7fffffff });
  } finally {
    db.close();
  }
}

function invalid(path: string, reason: string, cause?: unknown): StoreError {
  return new StoreError("backup_invalid", `${path} is not a usable keel store: ${reason}`, cause);
}

/**
 * Checks a copy this process owns: integrity_check passes, keel's tables are there, and its schema
 * is not newer than this keel. Turns it into one self-contained file (no -wal beside it).
 */
export function verifyStoreCopy(path: string): StoreCopyInfo {
  const state = inspectStoreFile(path);
  if (state.kind === "corrupt") throw invalid(path, state.reason);
  if (state.kind !== "ok") throw invalid(path, `the file is ${state.kind}`);
  let db: InstanceType<typeof Database>;
  try {
    db = new Database(path, { fileMustExist: true });
  } catch (cause) {
    throw invalid(path, (cause as Error).message, cause);
  }
  try {
    db.pragma("busy_timeout = 5000");
    db.pragma("journal_mode = DELETE");
    const problems = (db.pragma("integrity_check(4)") as { integrity_check: string }[])
      .map((r) => r.integrity_check.replace(/\s+/g, " ").trim())
      .filter((r) => r !== "ok");
    if (problems.length > 0) throw invalid(path, `integrity_check: ${problems.join("; ")}`);
    const tables = new Set(
      (
        db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
          name: string;
        }[]
      ).map((r) => r.name),
    );
    const absent = keelTables.filter((t) => !tables.has(t));
    if (absent.length > 0) throw invalid(path, `no ${absent.join(", ")} table: not a keel store`);
    const applied = readLedger(db);
    pendingMigrations(loadMigrations(migrationsFolder), applied);
    const runs = (db.prepare("SELECT count(*) AS n FROM runs").get() as { n: number }).n;
    const schemaVersion = applied.at(-1)?.version ?? 0;
    db.close();
    return { integrity: "ok", schemaVersion, runs, bytes: statSync(path).size };
  } catch (error) {
    if (db.open) db.close();
    if (hasKeelCode(error, KeelErrorCode.backupInvalid)) throw error;
    throw invalid(path, (error as Error).message, error);
  }
}
