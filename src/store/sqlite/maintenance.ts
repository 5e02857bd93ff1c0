import { terminalRunStatuses } from "../../core/status.js";
import {
  IntegrityCode,
  problemsPerCode,
  type IntegrityReport,
  type StateDiff,
} from "../integrity.js";
import {
  IntegrityTally,
  applyDiffSql,
  lastRunTransitionSql,
  orphanStepResultsSql,
  stateDiffs,
  suspectRunsSql,
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
import { insertTransition, type SqliteContext } from "./context.js";
import { knownSchemaVersion } from "./migrate.js";
import { unrenderableRuns } from "./unrenderable-runs.js";

/**
 * keel's own invariants, checked and repaired. The check only reads, so it runs on a read-only
 * connection beside a live node; every query is guarded, so a damaged file yields a report, not
 * an exception.
 */
function suspectRuns(ctx: SqliteContext): SuspectRow[] {
  return ctx.sql(suspectRunsSql).all() as SuspectRow[];
}

export function findStateDiffs(ctx: SqliteContext): StateDiff[] {
  return stateDiffs(suspectRuns(ctx));
}

export function checkIntegrity(ctx: SqliteContext): IntegrityReport {
  const tally = new IntegrityTally();
  const guarded = <T>(what: string, fallback: T, read: () => T): T => {
    try {
      return read();
    } catch (error) {
      tally.add(IntegrityCode.storageCorrupt, `${what} failed: ${(error as Error).message}`);
      return fallback;
    }
  };
  guarded("integrity_check", undefined, () => {
    const rows = ctx.db.pragma(`integrity_check(${problemsPerCode})`) as {
      integrity_check: string;
    }[];
    for (const row of rows)
      if (row.integrity_check !== "ok")
        tally.add(IntegrityCode.storageCorrupt, row.integrity_check);
  });
  tally.orphans(
    guarded(
      "reading step_results",
      [],
      () => ctx.sql(orphanStepResultsSql).all() as { run_id: string; n: number }[],
    ),
  );
  tally.suspects(guarded("reading runs and transitions", [], () => suspectRuns(ctx)));
  tally.unrenderable(guarded("reading runs' times and values", [], () => unrenderableRuns(ctx)));
  const schemaVersion = guarded("reading schema_migrations", 0, () => {
    const row = ctx.sql("SELECT max(version) AS v FROM schema_migrations").get() as {
      v: number | null;
    };
    return row.v ?? 0;
  });
  const runs = guarded(
    "counting runs",
    0,
    () => (ctx.sql("SELECT count(*) AS n FROM runs").get() as { n: number }).n,
  );
  return tally.report(schemaVersion, runs);
}

/** Finds the diffs and writes them and their transitions in one transaction. */
export function rebuildStates(ctx: SqliteContext, actor: string, now: number): StateDiff[] {
  return ctx.write(() => {
    const diffs = findStateDiffs(ctx);
    for (const diff of diffs) applyDiff(ctx, diff, actor, now);
    return diffs;
  });
}

function applyDiff(ctx: SqliteContext, diff: StateDiff, actor: string, now: number): void {
  const last = ctx.sql(lastRunTransitionSql).get(diff.runId) as { reason: string; at: number };
  const row = ctx
    .sql(applyDiffSql)
    .get(
      diff.rebuilt,
      now,
      terminalRunStatuses.has(diff.rebuilt) ? 1 : 0,
      last.at,
      diff.rebuilt,
      last.reason,
      diff.runId,
      diff.stored,
    ) as { trace_id: string };
  insertTransition(ctx, rebuiltTransition(diff, actor, now, row.trace_id), "restore");
}

/** the ledger, the rows of each table and the leases nobody recovered (see inventory.ts) */
export function inventory(ctx: SqliteContext, now: number, staleMs: number): StoreInventory {
  const present = new Set(
    (
      ctx.sql("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]
    ).map((r) => r.name),
  );
  const tables: Record<string, number> = {};
  for (const table of inventoryTables)
    if (present.has(table))
      tables[table] = (ctx.sql(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  return inventoryFromRows(
    ctx.sql(ledgerSql.replace("breaking", "coalesce(breaking, 0) AS breaking")).all() as never[],
    knownSchemaVersion(),
    tables,
    ctx.sql(expiredLeasesSql("?")).all(now, staleMs) as never[],
  );
}
