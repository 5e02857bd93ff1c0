import type { GateTimeoutPolicy } from "../core/approval-policy.js";
import type { OperatorChange } from "./operator-change.js";

/**
 * Approval gates as the store keeps them: one row per run and gate, opened once by the node that
 * reached the gate (the first opening is kept, so a run that comes back to an open gate keeps its
 * wait and its timeout), decided once: by a person, or by the node that finds the timeout past.
 */
export const GateStatus = { open: "open", approved: "approved", rejected: "rejected" } as const;
export type GateStatus = (typeof GateStatus)[keyof typeof GateStatus];

/** who decided a gate whose timeout passed (its `onTimeout` policy) */
export const gateTimeoutActor = "timeout";

export interface GateRecord {
  runId: string;
  gate: string;
  pipeline: string;
  status: GateStatus;
  openedAt: number;
  timeoutAt: number;
  onTimeout: GateTimeoutPolicy;
  decidedAt: number | null;
  decidedBy: string | null;
  note: string | null;
}

/** A gate reached by a node: what its row says if it is the first time. */
export interface GateOpening {
  gate: string;
  pipeline: string;
  timeoutMs: number;
  onTimeout: GateTimeoutPolicy;
}

export interface GateDecision {
  runId: string;
  gate: string;
  approve: boolean;
  /** the person's note, kept with the gate, in the transition and the audit entry */
  note: string | null;
  change: OperatorChange;
}

export interface OpenGateQuery {
  pipeline?: string;
  /** only this run's (a run waits at one gate at a time) */
  runId?: string;
  limit: number;
}

/** Open gates of one pipeline and gate, for the gauges, the alert rule and the doctor. */
export interface OpenGateCount {
  pipeline: string;
  gate: string;
  runs: number;
  oldestOpenedAt: number;
}
