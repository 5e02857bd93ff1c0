import type { StoreTamper } from "../../src/store/store-case/maintenance.case.test.js";
import { runFieldColumns } from "./tamper-columns.js";
import { onSchema } from "./postgres-server.js";

/**
 * The conformance suite's tamper helpers for PostgreSQL: rows edited by hand on a connection of
 * their own, as an operator with psql (or a bug) would. PostgreSQL checks its own pages, so there
 * is no damage to disk here (the storage cases need the optional checkStorage, which this
 * backend does not have).
 */
export function postgresTamper(url: string, schema: string): StoreTamper {
  const sql = (text: string, params: unknown[]): Promise<unknown> =>
    onSchema(url, schema, (c) => c.query(text, params));
  return {
    async setRunFields(runId, fields) {
      const columns = runFieldColumns(fields);
      await sql(
        `UPDATE runs SET ${columns.map(([c], i) => `${c} = $${i + 1}`).join(", ")} WHERE id = $${columns.length + 1}`,
        [...columns.map(([, v]) => v), runId],
      );
    },
    async addCheckpointOfMissingRun(runId, step) {
      await sql(
        "INSERT INTO step_results (run_id, step, output, output_hash, attempt, started_at, finished_at) VALUES ($1, $2, '{}', 'h', 1, 0, 0)",
        [runId, step],
      );
    },
    async dropRunTransitions(runId) {
      await sql("DELETE FROM transitions WHERE run_id = $1 AND step IS NULL", [runId]);
    },
  };
}
