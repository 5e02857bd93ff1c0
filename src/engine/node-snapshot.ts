import type { ClusterHold } from "./cluster-state.js";
import type { DiskGuardState } from "./disk-guard.js";
import type { WorkerDeath, WorkerProcess } from "./isolation/pool.js";
import type { DeadNode } from "./liveness.js";
import type { RetentionState } from "./retention-sweep.js";
import type { SourceProblem } from "./scheduler.js";
import type { StoreReachState } from "./store-reach.js";
import type { StoreWatchState } from "./store-watch.js";
import type { WorkerLimitState } from "./worker-limit.js";

/**
 * What a running node knows first-hand, read at one moment: its slots, its child processes, its
 * guards and the nodes it declared dead. One value, so the API's status and health (and a library
 * user) read the same figures the same way; the store holds everything else.
 */
export interface NodeSnapshot {
  nodeId: string;
  pid: number;
  /** epoch ms at which the node started claiming */
  startedAt: number;
  /** the most runs in flight at once (the fixed concurrency or the adaptive maximum) */
  concurrency: number;
  /** runs executing now */
  busy: number;
  /** runs claimed ahead of a free slot, shown as running in the store (docs/concepts.md) */
  claimedAhead: number;
  /** child processes running isolated steps, busy or idle */
  workerProcesses: WorkerProcess[];
  /** isolated-step child processes that died while the node ran, newest last (the last 20) */
  workerDeaths: readonly WorkerDeath[];
  /** the worker limit now, its bounds, CPU pressure and the last change */
  workers: WorkerLimitState;
  /** the disk guard's state; undefined when it is off */
  disk: DiskGuardState | undefined;
  /** the nodes it declared dead and took runs over from, newest first (at most 10) */
  deadNodes: readonly DeadNode[];
  /** sources whose last tick or scan failed on this node */
  sourceProblems: readonly SourceProblem[];
  /** the store watch's state: the last check of the store file, damage, the last repair */
  storage: StoreWatchState;
  /** whether the store answers (a server may be away), and the step writes held meanwhile */
  storeReach: StoreReachState;
  /** why the cluster keeps it from claiming (draining, token_revoked, forgotten), and its windows */
  cluster: {
    hold: ClusterHold | null;
    offlineAfterMs: number;
    goneAfterMs: number;
    stuckAfterMs: number;
  };
  /** the retention sweep's settings and figures; undefined when retention is off */
  retention: RetentionState | undefined;
}
