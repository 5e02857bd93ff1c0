import type { CopySource } from "../store-copy.js";
import { openSqlite } from "./open.js";

/**
 * A SQLite store as the source of `keel db copy` (../store-copy.ts): a read-only connection
 * holding one read transaction, so every table is read from the same snapshot while a node may
 * still write (a copy is meant to run with the node stopped; this keeps it consistent if not).
 */
export function sqliteCopySource(path: string): CopySource {
  const db = openSqlite({ path, readonly: true });
  db.exec("BEGIN");
  const tables = new Set(
    (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]
    ).map((r) => r.name),
  );
  return {
    columns(table) {
      if (!tables.has(table)) return null;
      return (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map(
        (c) => c.name,
      );
    },
    *batches(table, columns, size) {
      const select = db
        .prepare(`SELECT ${columns.map((c) => `"${c}"`).join(", ")} FROM ${table}`)
        .raw(true);
      let batch: unknown[][] = [];
      for (const row of select.iterate() as Iterable<unknown[]>) {
        batch.push(row);
        if (batch.length >= size) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length > 0) yield batch;
    },
    highWater(table) {
      // transitions keep their own high-water mark (008_transition_ids.sql); AUTOINCREMENT
      // tables keep theirs in sqlite_sequence
      const [sql, holder] =
        table === "transitions"
          ? ["SELECT max(high_water) AS n FROM transition_ids", "transition_ids"]
          : ["SELECT max(seq) AS n FROM sqlite_sequence WHERE name = ?", "sqlite_sequence"];
      if (!tables.has(holder)) return 0;
      const stmt = db.prepare(sql);
      const row = (table === "transitions" ? stmt.get() : stmt.get(table)) as { n: number | null };
      return row.n ?? 0;
    },
    close() {
      db.exec("COMMIT");
      db.close();
    },
  };
}
