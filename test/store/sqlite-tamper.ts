import { Database } from "../../src/store/sqlite/driver.js";
import type { StoreTamper } from "../../src/store/store-case/maintenance.case.test.js";
import { runFieldColumns } from "./tamper-columns.js";
import { damageObject } from "./sqlite-pages.js";

/**
 * The conformance suite's tamper helpers for SQLite: a second connection to the store's file that
 * edits rows by hand, as an operator with the sqlite3 shell (or a bug) would, and bytes of the
 * file changed on disk, as a failing disk would.
 */
export function sqliteTamper(path: string): { tamper: StoreTamper; close: () => void } {
  let db: InstanceType<typeof Database> | undefined;
  // opened on first use: most tests never tamper
  const conn = (): InstanceType<typeof Database> => (db ??= new Database(path));
  const tamper: StoreTamper = {
    async setRunFields(runId, fields) {
      const columns = runFieldColumns(fields);
      conn()
        .prepare(`UPDATE runs SET ${columns.map(([c]) => `${c} = ?`).join(", ")} WHERE id = ?`)
        .run(...columns.map(([, v]) => v), runId);
    },
    async addCheckpointOfMissingRun(runId, step) {
      conn()
        .prepare(
          "INSERT INTO step_results (run_id, step, output, output_hash, attempt, started_at, finished_at) VALUES (?, ?, '{}', 'h', 1, 0, 0)",
        )
        .run(runId, step);
    },
    async dropRunTransitions(runId) {
      conn().prepare("DELETE FROM transitions WHERE run_id = ? AND step IS NULL").run(runId);
    },
    async damageIndex(damage) {
      damageObject(path, "runs_status", damage === "page" ? "header" : "key");
    },
    async damageRows() {
      damageObject(path, "runs", "header");
    },
  };
  return { tamper, close: () => db?.close() };
}
