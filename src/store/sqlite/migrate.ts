import { loadMigrations, pendingMigrations, type AppliedMigration } from "../migration-files.js";
import type { SqliteDb } from "./open.js";

const folder = new URL("./migrations/", import.meta.url);

/** Applies pending migrations inside one BEGIN IMMEDIATE, so two nodes starting at once are safe. */
export function migrateSqlite(db: SqliteDb, now: number = Date.now()): number {
  const known = loadMigrations(folder);
  const apply = db.transaction(() => {
    db.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL)",
    );
    const applied = db
      .prepare("SELECT version, checksum FROM schema_migrations ORDER BY version")
      .all() as AppliedMigration[];
    const pending = pendingMigrations(known, applied);
    const record = db.prepare(
      "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)",
    );
    for (const m of pending) {
      db.exec(m.sql);
      record.run(m.version, m.name, m.checksum, now);
    }
    return pending.length;
  });
  return apply.immediate();
}
