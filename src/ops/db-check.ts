import { isKeelError } from "../core/errors/keel-error.js";
import { IntegrityCode, type IntegrityReport } from "../store/integrity.js";
import type { AppliedMigrationInfo, StoreInventory } from "../store/inventory.js";
import { openStore } from "../store/open-store.js";
import { storeLocation } from "../store/home.js";
import { inspectStoreFile } from "../store/files.js";
import { keelCommand, newestBackup, restoreHint, serverStoreUrl, storeFile } from "./db-files.js";
import { readLivePid } from "./pidfile.js";

/**
 * `keel db check`: the store's own integrity check plus keel's invariants, on a read-only
 * connection (a running node is not disturbed). A file SQLite cannot open, or a PostgreSQL server
 * out of reach, is a finding too, never an exception. Beside the findings: the migration ledger
 * and the rows of each table. Each finding comes with the commands that fix it.
 */
export interface CheckProblem {
  code: string;
  message: string;
  runId: string | null;
}

export interface CheckResult {
  /** the SQLite file, or the PostgreSQL URL (password hidden) */
  file: string;
  backend: "sqlite" | "postgres";
  ok: boolean;
  schemaVersion: number | null;
  /** the newest migration this keel knows; a store ahead of it is run by a newer keel */
  knownVersion: number | null;
  migrations: AppliedMigrationInfo[];
  /** rows per table */
  tables: Record<string, number>;
  runs: number | null;
  problems: CheckProblem[];
  counts: Record<string, number>;
  /** commands to run, in order */
  advice: string[];
  ms: number;
}

// damage to the data itself: only a backup brings it back
const restoreCodes = new Set<string>([
  "store_corrupt",
  "store_missing",
  IntegrityCode.storageCorrupt,
  IntegrityCode.orphanStepResult,
  IntegrityCode.runWithoutTransitions,
]);
/** a lease run out this long with no node recovering it: no live node serves its pipeline */
export const stuckLeaseMs = 60_000;
export const stuckLease = "stuck_lease";

// statuses out of step with the audit trail: rebuilt from it
const rebuildCodes = new Set<string>([
  IntegrityCode.statusMismatch,
  IntegrityCode.runningWithoutLease,
]);

export async function checkStore(home: string, now: () => number = Date.now): Promise<CheckResult> {
  const started = now();
  const url = serverStoreUrl(home);
  const file = url === null ? storeFile(home) : storeLocation(home);
  const report = url === null ? await inspect(home, file, now()) : await inspectServer(now());
  const problems = report.problems;
  const codes = problems.map((p) => p.code);
  // a restore replaces everything, so a rebuild is only advised when no restore is; a store that
  // was never created has nothing to restore unless a backup exists
  const fresh = codes.includes("store_missing") && newestBackup(home) === null;
  const fix = fresh
    ? null
    : codes.some((c) => restoreCodes.has(c))
      ? restoreHint(home)
      : codes.some((c) => rebuildCodes.has(c))
        ? keelCommand(home, "db rebuild-state --apply")
        : null;
  const advice = fix === null ? [] : [fix];
  if (fix !== null && readLivePid(home) !== null) advice.unshift(keelCommand(home, "stop"));
  if (codes.includes(stuckLease))
    advice.push(
      `start a node that serves these runs' pipelines (${keelCommand(home, "start")}): it returns runs whose lease ran out to pending`,
    );
  return {
    file,
    backend: url === null ? "sqlite" : "postgres",
    ok: problems.length === 0,
    schemaVersion: report.schemaVersion,
    knownVersion: report.inventory?.knownVersion ?? null,
    migrations: report.inventory?.migrations ?? [],
    tables: report.inventory?.tables ?? {},
    runs: report.runs,
    problems,
    counts: report.counts,
    advice,
    ms: now() - started,
  };
}

type Findings = Pick<CheckResult, "problems" | "counts" | "schemaVersion" | "runs"> & {
  inventory: StoreInventory | null;
};

function only(code: string, message: string): Findings {
  return {
    problems: [{ code, message, runId: null }],
    counts: { [code]: 1 },
    schemaVersion: null,
    runs: null,
    inventory: null,
  };
}

/** the integrity report, the inventory, and a finding for each lease nobody recovered */
async function findings(options: Parameters<typeof openStore>[0], now: number): Promise<Findings> {
  const store = openStore({ ...options, readonly: true });
  try {
    const report: IntegrityReport = await store.checkIntegrity();
    // a damaged file has its findings already: the inventory is a look beside them
    const inventory = await store.inventory(now, stuckLeaseMs).catch(() => null);
    const problems: CheckProblem[] = [...report.problems];
    const expired = inventory?.expiredLeases ?? [];
    for (const lease of expired)
      problems.push({
        code: stuckLease,
        message: `running on ${lease.nodeId ?? "no node"}, whose lease ran out at ${new Date(lease.expiredAt).toISOString()} and no node has taken it back`,
        runId: lease.runId,
      });
    const counts: Record<string, number> = { ...report.counts };
    if (expired.length > 0) counts[stuckLease] = expired.length;
    return { problems, counts, schemaVersion: report.schemaVersion, runs: report.runs, inventory };
  } finally {
    await store.close();
  }
}

async function inspectServer(now: number): Promise<Findings> {
  try {
    return await findings({}, now);
  } catch (error) {
    return only(isKeelError(error) ? error.code : "store_error", (error as Error).message);
  }
}

async function inspect(home: string, file: string, now: number): Promise<Findings> {
  const state = inspectStoreFile(file);
  if (state.kind === "missing")
    return only(
      "store_missing",
      state.orphanWal
        ? `there is no store file at ${file}, but its write-ahead log is still there: the file was deleted while in use`
        : `there is no store at ${file} yet; the first keel command that uses it creates it`,
    );
  if (state.kind === "corrupt")
    return only("store_corrupt", `the store file ${file} is corrupt: ${state.reason}`);
  try {
    return await findings({ home }, now);
  } catch (error) {
    return only("store_corrupt", (error as Error).message);
  }
}
