import { IntegrityCode, type IntegrityReport } from "../store/integrity.js";
import { openStore } from "../store/open-store.js";
import { inspectStoreFile } from "../store/files.js";
import { keelCommand, newestBackup, restoreHint, storeFile } from "./db-files.js";
import { readLivePid } from "./pidfile.js";

/**
 * `keel db check`: the store's own integrity check plus keel's invariants, on a read-only
 * connection (a running node is not disturbed). A file SQLite cannot open is a finding too, never
 * an exception. Each finding comes with the commands that fix it.
 */
export interface CheckProblem {
  code: string;
  message: string;
  runId: string | null;
}

export interface CheckResult {
  file: string;
  ok: boolean;
  schemaVersion: number | null;
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
// statuses out of step with the audit trail: rebuilt from it
const rebuildCodes = new Set<string>([
  IntegrityCode.statusMismatch,
  IntegrityCode.runningWithoutLease,
]);

export async function checkStore(home: string, now: () => number = Date.now): Promise<CheckResult> {
  const started = now();
  const file = storeFile(home);
  const report = await inspect(home, file);
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
  return {
    file,
    ok: problems.length === 0,
    schemaVersion: report.schemaVersion,
    runs: report.runs,
    problems,
    counts: report.counts,
    advice,
    ms: now() - started,
  };
}

type Findings = Pick<CheckResult, "problems" | "counts" | "schemaVersion" | "runs">;

function only(code: string, message: string): Findings {
  return {
    problems: [{ code, message, runId: null }],
    counts: { [code]: 1 },
    schemaVersion: null,
    runs: null,
  };
}

async function inspect(home: string, file: string): Promise<Findings> {
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
  let report: IntegrityReport;
  try {
    const store = openStore({ home, readonly: true });
    try {
      report = await store.checkIntegrity();
    } finally {
      await store.close();
    }
  } catch (error) {
    return only("store_corrupt", (error as Error).message);
  }
  return { ...report, counts: { ...report.counts } as Record<string, number> };
}
