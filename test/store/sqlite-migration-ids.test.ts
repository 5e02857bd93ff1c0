import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadMigrations } from "../../src/store/migration-files.js";
import { Database } from "../../src/store/sqlite/driver.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { newRun, tempDir } from "./sqlite-fixtures.js";

/**
 * Migration 008 takes AUTOINCREMENT off `transitions` and hands out ids itself: a store made before
 * it keeps every row and id, and no id AUTOINCREMENT gave out (even one whose row is gone) is
 * handed out again.
 */
const folder = new URL("../../src/store/sqlite/migrations/", import.meta.url);

/** a store file as keel left it before migration 008 */
function storeAtVersion7(path: string): void {
  const db = new Database(path);
  db.exec(
    "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL)",
  );
  for (const m of loadMigrations(folder).filter((m) => m.version <= 7)) {
    db.exec(m.sql);
    db.prepare(
      "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)",
    ).run(m.version, m.name, m.checksum, 1);
  }
  const insert = db.prepare(
    "INSERT INTO transitions (run_id, step, from_status, to_status, reason, actor, at, trace_id, details) VALUES (?, NULL, NULL, 'pending', 'submitted', 'old', ?, 't', '{\"n\":1}')",
  );
  for (let i = 1; i <= 5; i++) insert.run(`run_old_${i}`, i);
  // the newest two gone (a purge), so AUTOINCREMENT's last id is above the newest row
  db.exec("DELETE FROM transitions WHERE id > 3");
  db.close();
}

describe("migration 008: transition ids", () => {
  it("keeps every row and id, and hands out ids above the last one AUTOINCREMENT gave", async () => {
    const path = join(tempDir("migration-ids"), "keel.db");
    storeAtVersion7(path);
    const store = SqliteStore.open({ path });
    try {
      const old = await store.listTransitionsAfter({ afterId: 0, limit: 10 });
      expect(old.map((t) => [t.id, t.runId, t.at, t.details])).toEqual([
        [1, "run_old_1", 1, { n: 1 }],
        [2, "run_old_2", 2, { n: 1 }],
        [3, "run_old_3", 3, { n: 1 }],
      ]);
      const [submitted] = await store.submitRuns([newRun()]);
      const fresh = await store.listTransitions(submitted?.run.id as string);
      expect(fresh.map((t) => t.id)).toEqual([6]);
    } finally {
      await store.close();
    }
    const db = new Database(path, { readonly: true });
    try {
      const sql = db
        .prepare("SELECT sql FROM sqlite_schema WHERE name = 'transitions'")
        .pluck()
        .get();
      expect(sql).not.toMatch(/AUTOINCREMENT/i);
      const indexes = db
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'transitions'")
        .pluck()
        .all();
      expect(indexes).toEqual(["transitions_run"]);
    } finally {
      db.close();
    }
  });
});
