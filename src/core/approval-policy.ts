/**
 * What an approval gate does while nobody decides: how long it waits, and what its timeout means.
 * Kept apart from approval-gate.ts so pipeline.ts can name it without importing step().
 */
export type GateTimeoutPolicy = "approve" | "reject";

export interface ApprovalPolicy {
  /** ms from the gate's first opening to its timeout */
  timeoutMs: number;
  onTimeout: GateTimeoutPolicy;
}

/** What the steps after an approved gate receive as its output. */
export interface GateApproval {
  gate: string;
  approved: true;
  /** who decided: `token:<name>`, `cli:<user>`, or `system` for a timeout approved by policy */
  by: string;
  note: string | null;
  /** from the gate's first opening to its decision */
  waitedMs: number;
  /** true when the timeout decided, by the gate's `onTimeout` */
  timedOut: boolean;
}
