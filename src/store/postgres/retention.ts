import type { EndedRunsDeletion, VacuumReport } from "../retention-store.js";
import type { PgConn } from "./context.js";
import { quoteIdent } from "./open.js";

/**
 * One retention batch: the oldest ended runs of a status, with their checkpoints and transitions,
 * deleted in one short transaction. SKIP LOCKED: two nodes sweeping at once take different runs,
 * and a run an operator is retrying right now is left for the next sweep.
 */
export async function deleteEndedRuns(c: PgConn, req: EndedRunsDeletion): Promise<number> {
  const ids = (
    await c.all<{ id: string }>(
      `SELECT id FROM runs WHERE status = ? AND finished_at < ?
       ORDER BY finished_at, id LIMIT ? FOR UPDATE SKIP LOCKED`,
      [req.status, req.finishedBefore, req.limit],
    )
  ).map((r) => r.id);
  if (ids.length === 0) return 0;
  await c.run("DELETE FROM step_results WHERE run_id = ANY(?::text[])", [ids]);
  await c.run("DELETE FROM transitions WHERE run_id = ANY(?::text[])", [ids]);
  await c.run("DELETE FROM step_progress WHERE run_id = ANY(?::text[])", [ids]);
  await c.run("DELETE FROM gates WHERE run_id = ANY(?::text[])", [ids]);
  return c.run("DELETE FROM runs WHERE status = ? AND id = ANY(?::text[])", [req.status, ids]);
}

/**
 * VACUUM (ANALYZE) of each of keel's tables in its schema, on a pooled connection outside any
 * transaction (VACUUM refuses to run inside one). It runs beside nodes: it takes no lock that
 * blocks reads or writes. The size is of the tables with their indexes and TOAST.
 */
export async function vacuum(c: PgConn, schema: string): Promise<VacuumReport> {
  const tables = (
    await c.all<{ name: string }>(
      "SELECT tablename AS name FROM pg_tables WHERE schemaname = ? ORDER BY tablename",
      [schema],
    )
  ).map((r) => r.name);
  const size = async (): Promise<number> =>
    Number(
      (
        await c.get<{ bytes: string | null }>(
          `SELECT sum(pg_total_relation_size(format('%I.%I', schemaname, tablename)::regclass))::text AS bytes
           FROM pg_tables WHERE schemaname = ?`,
          [schema],
        )
      )?.bytes ?? 0,
    );
  const bytesBefore = await size();
  for (const table of tables)
    await c.run(`VACUUM (ANALYZE) ${quoteIdent(schema)}.${quoteIdent(table)}`);
  return { bytesBefore, bytesAfter: await size(), tables };
}
