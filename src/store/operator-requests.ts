import type { RunStatus } from "../core/status.js";
import type { RunRecord } from "./records.js";

/**
 * The operator's hand-made changes to runs, as the store receives them. The engine decides what
 * to clear (a step and everything downstream of it); the store applies it in one transaction,
 * with its transitions and its audit entry.
 */
export interface RetryRequest {
  /** the step the operator asked to run again from, recorded in the transition and audit entry */
  fromStep?: string;
  /** checkpoints to delete: `fromStep` and every step downstream of it, never upstream */
  clearSteps: string[];
  /** the operator asked to redo the steps a fallback served (recorded with the retry) */
  redoDegraded?: boolean;
  note: string;
  actor: string;
  now: number;
  /** false: no audit entry of its own (a bulk retry writes one entry for all its runs) */
  audit?: boolean;
}

export interface RetryResult {
  run: RunRecord;
  /** the status the run was retried from */
  from: RunStatus;
  /** the checkpoints that existed and were deleted, in pipeline order */
  cleared: string[];
}

export interface PurgeRequest {
  /** only quarantined runs are ever purged; the field makes callers say so */
  status: "quarantined";
  /** epoch ms: only runs that finished (were quarantined) before this */
  olderThan?: number;
  /** only runs quarantined with exactly this reason */
  reason?: string;
  /**
   * only these runs, of those the filter matches: a dry run's ids, so the purge deletes exactly
   * what its preview listed (a run quarantined since is kept)
   */
  ids?: readonly string[];
  /** count and list, delete nothing */
  dryRun: boolean;
  actor: string;
  now: number;
}

export interface PurgeResult {
  /** the purged run ids, or those a dry run would purge, oldest first */
  ids: string[];
  count: number;
  dryRun: boolean;
}
