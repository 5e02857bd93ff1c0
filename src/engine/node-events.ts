import type { EventEmitter } from "node:events";
import type { BreakerTransitionRecord } from "../store/breakers.js";
import type { GateEvent } from "./approval-gates.js";
import type { CleanupReport } from "./disk-cleanup.js";
import type { DiskGuardState } from "./disk-guard.js";
import type { RunEnd, StepEvent } from "./run-execution.js";
import type { StoreWatchState } from "./store-watch.js";
import type { StepProgress } from "../store/store.js";
import type { WorkerLimitState } from "./worker-limit.js";

/** What a node tells its owner as it runs (a Keel instance relays them to its listeners). */
export interface NodeEvents {
  /** a run began executing here (its settled event follows, whatever its end) */
  started: [{ runId: string; pipeline: string }];
  step: [StepEvent];
  /** a run submitted through this Keel instance (its own event, not a node's): created or deduplicated */
  submitted: [{ runId: string; pipeline: string; created: boolean }];
  /** `ended`: succeeded or quarantined here, or null (retry scheduled, given back, cancelled, lost) */
  settled: [{ runId: string; pipeline: string; ended: RunEnd }];
  progress: [{ runId: string; pipeline: string; bytes: number }];
  /** a step's `ctx.progress({...})` report, once stored */
  stepProgress: [StepProgress];
  /** a run's write is held in memory because the store's disk is full */
  storageFull: [{ runId: string }];
  /** a run's store write committed after `ms` (the attempt that succeeded, not the time held) */
  storeWrite: [{ ms: number }];
  /** a breaker changed state through this process: its node's signal, or an operator's trip or reset */
  breaker: [BreakerTransitionRecord];
  /** the disk guard moved between ok, warn and paused */
  disk: [DiskGuardState];
  diskCleanup: [CleanupReport];
  /** the worker limit changed, or CPU pressure began or ended */
  concurrency: [WorkerLimitState];
  /** the store watch moved between ok, checking, repairing and damaged */
  storage: [StoreWatchState];
  /** an approval gate opened (a run waits at it), or its decision was applied here */
  gate: [GateEvent];
}

/** The events a Keel instance relays from its node; `started` stays the node's own. */
const relayed = [
  "step",
  "settled",
  "progress",
  "stepProgress",
  "storageFull",
  "storeWrite",
  "breaker",
  "disk",
  "diskCleanup",
  "concurrency",
  "storage",
  "gate",
] as const satisfies readonly (keyof NodeEvents)[];

/** Re-emits a node's events on its owner, the one place they are wired. */
export function relayNodeEvents(
  node: EventEmitter<NodeEvents>,
  owner: EventEmitter<NodeEvents>,
): void {
  // untyped inside: each name carries the same arguments on both emitters
  const from = node as EventEmitter;
  const to = owner as EventEmitter;
  for (const name of relayed) from.on(name, (...args: unknown[]) => to.emit(name, ...args));
}
