import { KeelError } from "./keel-error.js";
import { PermanentError } from "./permanent-error.js";

/**
 * A decision on an approval gate that cannot apply: the run never reached the gate, the gate was
 * already decided (by a person or its timeout), or the run is not waiting there now. Nothing is
 * written; the message says what to do instead.
 */
export class GateNotOpenError extends KeelError {
  constructor(runId: string, gate: string, why: string) {
    super(
      "gate_not_open",
      `run ${runId} is not waiting at gate "${gate}": ${why}; \`keel gates list\` shows the runs waiting at a gate`,
      { details: { run: runId, gate } },
    );
  }
}

/**
 * An approval gate decided "no" (by a person, or by its timeout's policy): the run is quarantined
 * at once as `gate:<name>`, never retried (the decision stands until an operator retries the run,
 * which opens the gate anew).
 */
export class GateRejectedError extends PermanentError {
  readonly isGateRejectedError = true;
  constructor(gate: string, by: string, note: string | null) {
    super(`approval gate "${gate}" rejected by ${by}${note ? `: ${note}` : ""}`, `gate:${gate}`, {
      details: { gate, by, note },
    });
  }
}
