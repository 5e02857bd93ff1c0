import type { RunStatus } from "../core/status.js";

/**
 * What the store's self-checks report, in domain words. Transitions are the audit trail a run's
 * status can be rebuilt from: a run's status must equal the `to` of its last run transition.
 */
export const IntegrityCode = {
  /** the storage itself is damaged (SQLite: PRAGMA integrity_check failed) */
  storageCorrupt: "storage_corrupt",
  /** a checkpoint whose run does not exist */
  orphanStepResult: "orphan_step_result",
  /** a run whose status differs from the `to` of its last run transition */
  statusMismatch: "status_mismatch",
  /** a running run that no node holds: nothing would ever recover it */
  runningWithoutLease: "running_without_lease",
  /** a run with no run transition at all: its status cannot be rebuilt */
  runWithoutTransitions: "run_without_transitions",
  /** a run with a time outside 1970..9999 or a value that is not JSON: listings show a marker */
  unrenderableRun: "unrenderable_run",
} as const;
export type IntegrityCode = (typeof IntegrityCode)[keyof typeof IntegrityCode];

export interface IntegrityProblem {
  code: IntegrityCode;
  message: string;
  runId: string | null;
}

export interface IntegrityReport {
  ok: boolean;
  /** at most `problemsPerCode` of each code; `counts` has the totals */
  problems: IntegrityProblem[];
  counts: Partial<Record<IntegrityCode, number>>;
  /** the newest schema migration applied to this store */
  schemaVersion: number;
  runs: number;
}

/** Reports stay readable on a badly damaged store: the rest is counted, not listed. */
export const problemsPerCode = 100;

/** A run whose stored status the transitions contradict, and what a rebuild writes. */
export interface StateDiff {
  runId: string;
  stored: RunStatus;
  /** what `rebuildStates(true)` writes: the last transition's `to`, but never `running` */
  rebuilt: RunStatus;
  /** the `to` of the run's last run transition */
  lastTransition: RunStatus;
  code: typeof IntegrityCode.statusMismatch | typeof IntegrityCode.runningWithoutLease;
}

/** The transition reason a rebuild writes, so the audit trail shows the repair. */
export const rebuiltReason = "rebuilt_from_transitions";
