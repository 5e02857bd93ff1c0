import { InvalidInputError, NotFoundError } from "../core/errors/definition-errors.js";
import { AuditAction } from "../store/audit.js";
import type { GateRecord, OpenGateQuery } from "../store/gates.js";
import type { Store } from "../store/store.js";

/**
 * A person's side of approval gates: the runs waiting at one, and the decision on one (audited
 * as `gate.approve` / `gate.reject`, recorded once however many decide at the same moment).
 * The store's write hints the nodes (in-process, or NOTIFY), so the run is claimed at once.
 */
export interface GateDecisionOptions {
  /** why: kept with the gate, in the step's output (approved) or the quarantine (rejected) */
  note: string;
  actor?: string;
}

const defaultListLimit = 100;

export class GateControls {
  constructor(private readonly store: Store) {}

  /** runs waiting at an approval gate, the longest-waiting first */
  list(query: Partial<OpenGateQuery> = {}): Promise<GateRecord[]> {
    return this.store.listOpenGates({ limit: defaultListLimit, ...query });
  }

  approve(runId: string, gate: string, options: GateDecisionOptions): Promise<GateRecord> {
    return this.decide(runId, gate, true, options);
  }

  /** the run is quarantined as `gate:<gate>` with the note when a node applies it */
  reject(runId: string, gate: string, options: GateDecisionOptions): Promise<GateRecord> {
    return this.decide(runId, gate, false, options);
  }

  private async decide(
    runId: string,
    gate: string,
    approve: boolean,
    options: GateDecisionOptions,
  ): Promise<GateRecord> {
    const note = options.note?.trim();
    if (!note)
      throw new InvalidInputError(
        `a gate decision needs a note (what was checked, or why not): pass --note`,
        { field: "note" },
      );
    if (!(await this.store.getRun(runId))) throw new NotFoundError("run", runId);
    return this.store.decideGate({
      runId,
      gate,
      approve,
      note,
      change: {
        actor: options.actor ?? "api",
        at: Date.now(),
        audit: { action: approve ? AuditAction.gateApprove : AuditAction.gateReject },
      },
    });
  }
}
