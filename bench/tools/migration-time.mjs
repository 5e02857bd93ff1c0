// How long a node's first open takes to migrate a store made before migration 008 (which copies
// the transitions table): a version-7 file with M transitions, then SqliteStore.open timed.
//   npm run build && node bench/tools/migration-time.mjs
//   M=200000 node bench/tools/migration-time.mjs
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { loadMigrations } from "../../dist/src/store/migration-files.js";
import { Database } from "../../dist/src/store/sqlite/driver.js";
import { SqliteStore } from "../../dist/src/store/sqlite/sqlite-store.js";
import { workDir } from "../lib/common.mjs";

const M = Number(process.env.M ?? 1_000_000);
const dir = mkdtempSync(join(workDir, "migration-time-"));
const path = join(dir, "keel.db");
try {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.exec(
    "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL)",
  );
  const folder = new URL("../../dist/src/store/sqlite/migrations/", import.meta.url);
  for (const m of loadMigrations(folder).filter((m) => m.version <= 7)) {
    db.exec(m.sql);
    db.prepare("INSERT INTO schema_migrations VALUES (?, ?, ?, ?)").run(
      m.version,
      m.name,
      m.checksum,
      Date.now(),
    );
  }
  const insert = db.prepare(
    `INSERT INTO transitions (run_id, step, from_status, to_status, reason, actor, at, trace_id, details)
     VALUES (?, 'noop', 'running', 'succeeded', 'checkpoint', 'host-1234-abcdef', ?, ?, '{"attempt":1,"ms":0}')`,
  );
  db.exec("BEGIN");
  for (let i = 0; i < M; i++)
    insert.run(`run_01KBX${String(i).padStart(21, "0")}`, i, "0".repeat(32));
  db.exec("COMMIT");
  db.close();
  const t = performance.now();
  const store = SqliteStore.open({ path });
  const ms = performance.now() - t;
  await store.close();
  process.stdout.write(
    `${JSON.stringify({ transitions: M, open_with_migration_ms: Math.round(ms) })}\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
