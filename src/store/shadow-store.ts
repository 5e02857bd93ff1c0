import type { OperatorChange } from "./operator-change.js";
import type {
  ShadowClaim,
  ShadowComparison,
  ShadowCursor,
  ShadowRecord,
  ShadowTally,
} from "./shadow-rows.js";

/**
 * Shadow runs (shadow-rows.ts): start and stop (audited), the scan of the primary's succeeded runs,
 * the queue of sampled runs with its claims, the comparisons and their tally. Nothing here writes
 * to a run, its steps or its transitions.
 */
export interface ShadowStore {
  /**
   * Records a shadow; refused with `shadow_active` while the pipeline has an active one, and a
   * refused start writes nothing (nor its audit entry).
   */
  startShadow(shadow: ShadowRecord, change: OperatorChange): Promise<void>;
  /** stops the pipeline's active shadow and returns it; undefined (nothing written) when none */
  stopShadow(pipeline: string, change: OperatorChange): Promise<ShadowRecord | undefined>;
  /** every shadow, active and stopped, newest first */
  listShadows(): Promise<ShadowRecord[]>;
  getShadow(id: string): Promise<ShadowRecord | undefined>;

  /**
   * The primary's succeeded runs after the shadow's cursor that finished at or before `until`,
   * oldest first, and the cursor they start after.
   */
  scanShadowRuns(
    shadowId: string,
    until: number,
    limit: number,
  ): Promise<{ after: ShadowCursor; runs: { id: string; finishedAt: number }[] }>;
  /**
   * Queues the sampled runs (a run already queued stays as it is) and moves the cursor forward to
   * `to`, never back, in one write. Returns how many runs were newly queued.
   */
  queueShadowRuns(
    shadowId: string,
    runIds: string[],
    to: ShadowCursor,
    now: number,
  ): Promise<number>;
  /**
   * Claims the oldest queued run of an active shadow under its max_per_minute (or one whose
   * holder's lease ran out) for `nodeId` until now + leaseMs; undefined when there is none.
   */
  claimShadowRun(nodeId: string, now: number, leaseMs: number): Promise<ShadowClaim | undefined>;
  /** writes a comparison; false (nothing written) when `nodeId` no longer holds the claim */
  finishShadowRun(comparison: ShadowComparison, nodeId: string): Promise<boolean>;
  /** hands a claimed run back to the queue (a node stopping mid-comparison) */
  releaseShadowRun(shadowId: string, runId: string, nodeId: string): Promise<void>;
  shadowTally(shadowId: string): Promise<ShadowTally>;
}
