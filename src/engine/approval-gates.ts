import type { GateApproval } from "../core/approval-policy.js";
import { GateRejectedError } from "../core/errors/gate-errors.js";
import type { AnyStep } from "../core/pipeline.js";
import { GateStatus, gateTimeoutActor, type GateRecord } from "../store/gates.js";
import type { Lease } from "../store/records.js";
import type { Store } from "../store/store.js";

/**
 * What an approval gate's step does when its run reaches it on a node: wait (no decision yet; the
 * run leaves the node, due at the gate's timeout), or apply the decision recorded in the store
 * (a person's, or the timeout's policy once the timeout is past).
 */
export type GateTurn =
  | { kind: "wait" }
  | {
      kind: "decided";
      gate: GateRecord;
      /** the step's function for this attempt: the approval as output, or the rejection */
      fn: () => GateApproval;
      approvedBy?: string;
    };

/** a gate's opening, decision or timeout, as the node reports it (metrics, telemetry) */
export interface GateEvent {
  runId: string;
  pipeline: string;
  gate: string;
  status: "open" | "approved" | "rejected";
  /** from the gate's first opening to its decision (0 for an opening) */
  waitedMs: number;
  timedOut: boolean;
}

export async function gateTurn(
  store: Store,
  lease: Lease,
  step: AnyStep,
  now: number,
): Promise<GateTurn> {
  let gate = await store.getGate(lease.runId, step.name);
  if (!gate) return { kind: "wait" };
  if (gate.status === GateStatus.open) {
    if (now < gate.timeoutAt) return { kind: "wait" };
    gate = await store.timeOutGate(lease, step.name, now);
  }
  return decided(gate);
}

function decided(gate: GateRecord): GateTurn {
  const by = gate.decidedBy ?? gateTimeoutActor;
  if (gate.status === GateStatus.rejected)
    return {
      kind: "decided",
      gate,
      fn: () => {
        throw new GateRejectedError(gate.gate, by, gate.note);
      },
    };
  const approval: GateApproval = {
    gate: gate.gate,
    approved: true,
    by,
    note: gate.note,
    waitedMs: waitedMs(gate),
    timedOut: by === gateTimeoutActor,
  };
  return { kind: "decided", gate, fn: () => approval, approvedBy: by };
}

export function waitedMs(gate: GateRecord): number {
  return Math.max(0, (gate.decidedAt ?? gate.openedAt) - gate.openedAt);
}

export function decidedEvent(runId: string, gate: GateRecord): GateEvent {
  return {
    runId,
    pipeline: gate.pipeline,
    gate: gate.gate,
    status: gate.status,
    waitedMs: waitedMs(gate),
    timedOut: gate.decidedBy === gateTimeoutActor,
  };
}
