import { terminalRunStatuses } from "../../core/status.js";
import { IntegrityCode, type IntegrityReport, type StateDiff } from "../integrity.js";
import {
  IntegrityTally,
  applyDiffSql,
  lastRunTransitionSql,
  orphanStepResultsSql,
  stateDiffs,
  suspectRunsSql,
  unrenderableFromRow,
  unrenderableRunsSql,
  type SuspectRow,
} from "../integrity-rows.js";
import { rebuiltTransition } from "../run-changes.js";
import {
  expiredLeasesSql,
  inventoryFromRows,
  inventoryTables,
  ledgerSql,
  type StoreInventory,
} from "../inventory.js";
import { insertTransition, type PgConn, type PgContext } from "./context.js";
import { knownSchemaVersion } from "./migrate.js";

/**
 * keel's own invariants, checked and repaired. PostgreSQL checks its own pages, so the report
 * holds keel's invariants only (SQLite adds its integrity_check); every query is guarded, so a
 * failing read yields a report, not an exception.
 */
export async function checkIntegrity(c: PgConn): Promise<IntegrityReport> {
  const tally = new IntegrityTally();
  const guarded = async <T>(what: string, fallback: T, read: () => Promise<T>): Promise<T> => {
    try {
      return await read();
    } catch (error) {
      tally.add(IntegrityCode.storageCorrupt, `${what} failed: ${(error as Error).message}`);
      return fallback;
    }
  };
  tally.orphans(
    await guarded("reading step_results", [], () =>
      c.all<{ run_id: string; n: number }>(orphanStepResultsSql),
    ),
  );
  tally.suspects(
    await guarded("reading runs and transitions", [], () => c.all<SuspectRow>(suspectRunsSql)),
  );
  tally.unrenderable(
    await guarded("reading runs' times and values", [], async () =>
      (await c.all(unrenderableRunsSql((col) => `${col}::text`))).map(unrenderableFromRow),
    ),
  );
  const schemaVersion = await guarded("reading schema_migrations", 0, async () => {
    const row = await c.get<{ v: number | null }>(
      "SELECT max(version) AS v FROM schema_migrations",
    );
    return row?.v ?? 0;
  });
  const runs = await guarded(
    "counting runs",
    0,
    async () => (await c.get<{ n: number }>("SELECT count(*) AS n FROM runs"))?.n ?? 0,
  );
  return tally.report(schemaVersion, runs);
}

/** Finds the diffs, and with `apply` writes them and their transitions (in the caller's transaction). */
export async function rebuildStates(
  c: PgConn,
  apply: boolean,
  actor: string,
  now: number,
): Promise<StateDiff[]> {
  const diffs = stateDiffs(await c.all<SuspectRow>(suspectRunsSql));
  if (apply) for (const diff of diffs) await applyDiff(c, diff, actor, now);
  return diffs;
}

async function applyDiff(c: PgConn, diff: StateDiff, actor: string, now: number): Promise<void> {
  const last = await c.get<{ reason: string; at: number }>(lastRunTransitionSql, [diff.runId]);
  const row = await c.get<{ trace_id: string }>(applyDiffSql, [
    diff.rebuilt,
    now,
    terminalRunStatuses.has(diff.rebuilt) ? 1 : 0,
    last?.at ?? now,
    diff.rebuilt,
    last?.reason ?? null,
    diff.runId,
    diff.stored,
  ]);
  if (row) await insertTransition(c, rebuiltTransition(diff, actor, now, row.trace_id), "restore");
}

/** the ledger, the rows of each table and the leases nobody recovered (see inventory.ts) */
export async function inventory(
  ctx: PgContext,
  c: PgConn,
  now: number,
  staleMs: number,
): Promise<StoreInventory> {
  const present = new Set(
    (
      await c.all<{ name: string }>(
        "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ?",
        [ctx.schema],
      )
    ).map((r) => r.name),
  );
  const tables: Record<string, number> = {};
  for (const table of inventoryTables)
    if (present.has(table))
      tables[table] = (await c.get<{ n: number }>(`SELECT count(*) AS n FROM ${table}`))?.n ?? 0;
  return inventoryFromRows(
    await c.all(ledgerSql),
    knownSchemaVersion(),
    tables,
    await c.all(expiredLeasesSql(ctx.nowSql()), [...ctx.nowParams(now), staleMs]),
  );
}
