import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";

/**
 * The warehouse: one SQLite table of orders, written with an upsert keyed by file and line, so a
 * load that runs again (a retry, a second tick over the same file) changes nothing. The driver is
 * better-sqlite3, which keel already installs: 13 on Node 22+, 12 on Node 20 (see keel's install
 * notes).
 */
const require = createRequire(import.meta.url);
const major = Number(process.versions.node.split(".")[0]);
const Database = require(
  major >= 22 ? "better-sqlite3" : "better-sqlite3-v12",
) as typeof BetterSqlite3;

export interface OrderRow {
  file: string;
  line: number;
  customer: string;
  amountEur: number;
}

export function loadOrders(file: string, rows: readonly OrderRow[]): number {
  const db = new Database(file);
  try {
    db.exec(`CREATE TABLE IF NOT EXISTS orders (
      file TEXT NOT NULL, line INTEGER NOT NULL, customer TEXT NOT NULL, amount_eur REAL NOT NULL,
      PRIMARY KEY (file, line))`);
    const upsert = db.prepare(
      `INSERT INTO orders (file, line, customer, amount_eur) VALUES (?, ?, ?, ?)
       ON CONFLICT (file, line) DO UPDATE SET customer = excluded.customer, amount_eur = excluded.amount_eur`,
    );
    db.transaction(() => {
      for (const r of rows) upsert.run(r.file, r.line, r.customer, r.amountEur);
    })();
    return rows.length;
  } finally {
    db.close();
  }
}
