import type { Placement } from "../core/placement.js";
import type { StepRecording } from "../core/determinism/recording.js";
import type { JsonValue } from "../core/canonical-json.js";
import type {
  ErrorInfo,
  Lease,
  NodeRecord,
  NodeState,
  ProcessIdentity,
  RunRecord,
  StepResultRecord,
} from "./records.js";

/**
 * Nodes and the runs they hold: claims, heartbeats, the writes of a run's steps, and recovery of
 * the runs a dead node held. Every write to a claimed run checks the lease epoch and throws
 * LeaseLostError when it moved on.
 */
export interface ClaimRequest {
  nodeId: string;
  /**
   * How many runs to claim at most. A function is asked when the claim is written (the store may
   * queue it to share a commit), so slots freed by runs whose last write goes in the same commit
   * are filled too.
   */
  limit: number | (() => number);
  leaseMs: number;
  now: number;
  pipelines: readonly string[];
  /** claim only runs of this priority or higher (lower ones are deferred under CPU pressure) */
  minPriority?: number;
  /** the capabilities this node offers: runs whose next step requires others are left (default none) */
  capabilities?: readonly string[];
  /** the pool claimed for ("" the default, the one of runs whose next step names none) */
  pool?: string;
}

export interface ClaimedRun {
  run: RunRecord;
  lease: Lease;
  checkpoints: StepResultRecord[];
  /** what the run's next step requires, as it was claimed */
  placement: Placement;
}

export interface Checkpoint {
  step: string;
  output: JsonValue;
  outputHash: string;
  attempt: number;
  startedAt: number;
  finishedAt: number;
  /** served by the step's fallback: `cause` says why (breaker_open:<name>, max_attempts...) */
  degraded?: { cause: string };
  /** the attempt's start, when it was not written on its own: recorded here first, at startedAt */
  start?: StepStart;
  /** what the step's ctx.now() and ctx.fetch returned, kept for replays */
  recorded?: StepRecording;
  /** an approval gate's step: who approved it (`timeout` for its policy), in its transition */
  approvedBy?: string;
}

/**
 * The start of a step attempt that finished before its start was written (the engine writes a
 * start on its own only for a step still running a turn later): the same "started" transition,
 * written in the same fenced write as the attempt's outcome.
 */
export interface StepStart {
  /** the step's status before this attempt: pending, or failed for a retry */
  from: "pending" | "failed";
  at: number;
}

export interface StepFailure {
  step: string;
  attempt: number;
  error: ErrorInfo;
  /** the run's new failed-attempt counts, this failure included */
  stepAttempts: Record<string, number>;
  at: number;
  /** the attempt's start, when it was not written on its own */
  start?: StepStart;
}

export interface NewNode {
  id: string;
  host: string;
  pid: number;
  /** the process behind `pid` (see ProcessIdentity); omitted or null where it cannot be read */
  process?: ProcessIdentity | null;
  capabilities: string[];
  version: string;
  now: number;
  /** the slots of each named pool it serves */
  pools?: Record<string, number>;
  /** its concurrency */
  slots?: number;
  /** the join token it joined with */
  joinTokenId?: string | null;
}

export interface HeldRun {
  runId: string;
  epoch: number;
}

export interface LeaseStore {
  registerNode(node: NewNode): Promise<void>;
  setNodeState(nodeId: string, state: NodeState, now: number): Promise<void>;
  listNodes(): Promise<NodeRecord[]>;
  /** refreshes the node's heartbeat and the leases of its runs; returns the runs it still holds */
  heartbeat(nodeId: string, now: number, leaseMs: number): Promise<HeldRun[]>;

  claimRuns(request: ClaimRequest): Promise<ClaimedRun[]>;
  startStep(
    lease: Lease,
    step: string,
    attempt: number,
    from: "pending" | "failed",
    now: number,
  ): Promise<void>;
  /** records the checkpoint; with `runOutput` the run succeeds in the same transaction */
  completeStep(lease: Lease, checkpoint: Checkpoint, runOutput?: JsonValue): Promise<void>;
  recordStepFailure(lease: Lease, failure: StepFailure): Promise<void>;
  rescheduleRun(lease: Lease, scheduledFor: number, reason: string, now: number): Promise<void>;
  quarantineRun(lease: Lease, reason: string, error: ErrorInfo, now: number): Promise<void>;
  /** gives a run back untouched (aborted step, forced stop): running -> pending */
  returnRun(lease: Lease, reason: string, now: number): Promise<void>;
  /**
   * running -> pending, due at `until`, waiting for an open breaker (reason `breaker_open:<name>`):
   * no attempt is spent, and when the breaker half-opens or closes the run is due at once again,
   * in its old place (priority, then creation).
   */
  deferRun(lease: Lease, breaker: string, until: number, now: number): Promise<void>;

  /** running runs of a node, back to pending (the node is dead or forgotten) */
  releaseNodeRuns(nodeId: string, reason: string, now: number): Promise<string[]>;
  /**
   * running runs whose lease ran out, back to pending; the runs of `exceptNodeId` (the node
   * sweeping: alive, as it sweeps) are left to its own heartbeat
   */
  recoverExpiredLeases(now: number, exceptNodeId?: string): Promise<string[]>;
}
