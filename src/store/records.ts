import type { JsonValue } from "../core/canonical-json.js";
import type { StepRecording } from "../core/determinism/recording.js";
import type { RunStatus, StepStatus } from "../core/status.js";

/**
 * The records the store hands out, in domain words. Times are epoch milliseconds on both
 * backends, so records compare and serialize the same way everywhere.
 */
export interface ErrorInfo {
  code: string;
  message: string;
  step?: string;
  retryable?: boolean;
  stack?: string;
}

export interface RunRecord {
  id: string;
  pipeline: string;
  pipelineVersion: string;
  status: RunStatus;
  input: JsonValue;
  output: JsonValue | null;
  error: ErrorInfo | null;
  quarantineReason: string | null;
  priority: number;
  idempotencyKey: string | null;
  source: string;
  traceId: string;
  /** the W3C traceparent the run was submitted with; absent when it came without one */
  traceParent?: string;
  seed: number;
  /** failed step attempts, all steps together */
  attempts: number;
  /** failed attempts per step: decides the next retry */
  stepAttempts: Record<string, number>;
  scheduledFor: number;
  createdAt: number;
  updatedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  nodeId: string | null;
  leaseEpoch: number;
  leaseExpiresAt: number | null;
}

export interface StepResultRecord {
  runId: string;
  step: string;
  output: JsonValue;
  outputHash: string;
  attempt: number;
  nodeId: string | null;
  startedAt: number;
  finishedAt: number;
  /** served by the step's fallback, not by the step itself */
  degraded: boolean;
  /** what ctx.now() and ctx.fetch returned when it ran; null when it used neither */
  recorded: StepRecording | null;
}

export interface TransitionRecord {
  id: number;
  runId: string;
  /** null for a transition of the run itself */
  step: string | null;
  from: RunStatus | StepStatus | null;
  to: RunStatus | StepStatus;
  reason: string;
  actor: string;
  at: number;
  traceId: string | null;
  details: JsonValue | null;
}

export const NodeState = { active: "active", draining: "draining", offline: "offline" } as const;
export type NodeState = (typeof NodeState)[keyof typeof NodeState];

export interface NodeRecord {
  id: string;
  host: string;
  pid: number;
  /** the process behind `pid`, where the node could read it (Linux); null elsewhere */
  process: ProcessIdentity | null;
  capabilities: string[];
  state: NodeState;
  version: string;
  startedAt: number;
  heartbeatAt: number;
  /** the slots of each named pool it serves */
  pools: Record<string, number>;
  /** how many runs it runs at once, all pools together (0: not recorded, an older node) */
  slots: number;
  /** the join token it registered with, when it used one */
  joinTokenId: string | null;
  /** while draining with a timeout: when its remaining runs go back to pending */
  drainDeadline: number | null;
  /** the last heartbeat that reported a finished run */
  progressAt: number | null;
  /** why it may not claim (token_revoked), null when it may */
  blocked: string | null;
}

/**
 * Which process a pid names, exactly: `space` is the kernel's boot id and the pid namespace (where
 * the pid means this process), `start` the process's start time in clock ticks since boot. A pid
 * alone is not enough: once its process is gone, a later one may get it.
 */
export interface ProcessIdentity {
  space: string;
  start: number;
}

export interface PipelineRecord {
  name: string;
  version: string;
  steps: { name: string; after: string[]; requires?: string[]; pool?: string }[];
  registeredAt: number;
}

/** The proof of ownership a node shows with every write to a run it claimed. */
export interface Lease {
  runId: string;
  nodeId: string;
  epoch: number;
  /**
   * the run's trace id (it never changes), when the holder has it: a claim's lease carries it, so
   * a fenced write need not read it back for the transitions it writes
   */
  traceId?: string;
}
