import {
  loadMigrations,
  pendingMigrations,
  schemaAheadWarning,
  type AppliedMigration,
} from "../migration-files.js";
import type { SqliteDb } from "./open.js";

const folder = new URL("./migrations/", import.meta.url);

export interface MigrateResult {
  /** how many migrations this call applied */
  applied: number;
  /** set when the store is ahead of this code by non-breaking migrations only */
  warning: string | null;
}

/** Applies pending migrations inside one BEGIN IMMEDIATE, so two nodes starting at once are safe. */
export function migrateSqlite(db: SqliteDb, now: number = Date.now()): MigrateResult {
  const known = loadMigrations(folder);
  const apply = db.transaction(() => {
    db.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL)",
    );
    // stores made before migrations were marked get the column; their rows stay NULL (unmarked)
    if (!hasBreakingColumn(db))
      db.exec("ALTER TABLE schema_migrations ADD COLUMN breaking INTEGER");
    const applied = readLedger(db);
    const pending = pendingMigrations(known, applied);
    const record = db.prepare(
      "INSERT INTO schema_migrations (version, name, checksum, applied_at, breaking) VALUES (?, ?, ?, ?, ?)",
    );
    for (const m of pending) {
      db.exec(m.sql);
      record.run(m.version, m.name, m.checksum, now, m.breaking ? 1 : 0);
    }
    return { applied: pending.length, warning: schemaAheadWarning(known, applied) };
  });
  return apply.immediate();
}

/** The ledger's rows, from a store of any age (the breaking column came with migration markers). */
export function readLedger(db: SqliteDb): AppliedMigration[] {
  const breaking = hasBreakingColumn(db) ? "breaking" : "NULL AS breaking";
  return db
    .prepare(`SELECT version, name, checksum, ${breaking} FROM schema_migrations ORDER BY version`)
    .all() as AppliedMigration[];
}

function hasBreakingColumn(db: SqliteDb): boolean {
  return (db.pragma("table_info(schema_migrations)") as { name: string }[]).some(
    (c) => c.name === "breaking",
  );
}

/** the newest migration this build carries */
export function knownSchemaVersion(): number {
  return loadMigrations(folder).reduce((max, m) => Math.max(max, m.version), 0);
}
