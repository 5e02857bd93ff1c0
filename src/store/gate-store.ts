import type {
  GateDecision,
  GateOpening,
  GateRecord,
  OpenGateCount,
  OpenGateQuery,
} from "./gates.js";
import type { Lease } from "./records.js";

/**
 * Approval gates (gates.ts). A run waiting at a gate is pending and due at the gate's timeout,
 * with no node, lease or slot; a decision makes it due at once and the node that claims it next
 * reads the decision. Only runs pending at an open gate count as waiting there.
 */
export interface GateStore {
  /**
   * The node holding the run reached the gate with no decision: running -> pending (reason
   * `gate_open:<gate>`), due at the gate's timeout, in one fenced write with the gate's row
   * (written the first time only). Returns the row as stored.
   */
  openGate(lease: Lease, opening: GateOpening, now: number): Promise<GateRecord>;
  getGate(runId: string, gate: string): Promise<GateRecord | undefined>;
  /**
   * The holder found the gate's timeout past: its `onTimeout` policy decides it (by `timeout`),
   * unless it is decided already. Fenced; returns the row as stored.
   */
  timeOutGate(lease: Lease, gate: string, now: number): Promise<GateRecord>;
  /**
   * A person's decision: refused with GateNotOpenError unless the run is pending at the gate and
   * the gate open, so of two racing deciders exactly one wins. Writes the audit entry of
   * `change.audit` and makes the run due now; the node that claims it next applies the decision
   * (the gate step's checkpoint, or the run's quarantine), and the run's transitions show it then.
   */
  decideGate(decision: GateDecision): Promise<GateRecord>;
  /** gates with a run waiting at them, the longest-waiting first */
  listOpenGates(query: OpenGateQuery): Promise<GateRecord[]>;
  /** the same, counted by pipeline and gate */
  countOpenGates(): Promise<OpenGateCount[]>;
}
