import { KeelError } from "./keel-error.js";

/** A status change the transition table forbids; nothing is written. */
export class IllegalTransitionError extends KeelError {
  /** `hint` says what the caller can do instead, e.g. "cancel it first" */
  constructor(kind: "run" | "step", from: string, to: string, id?: string, hint?: string) {
    super(
      "illegal_transition",
      `illegal ${kind} transition ${from} -> ${to}${id ? ` for ${id}` : ""}${hint ? `: ${hint}` : ""}`,
      {
        details: { kind, from, to, id },
      },
    );
  }
}

/** A write from a node whose lease on the run was taken over; the write is rejected. */
export class LeaseLostError extends KeelError {
  constructor(runId: string, epoch: number) {
    super("lease_lost", `lease on run ${runId} (epoch ${epoch}) was lost; the write was rejected`, {
      details: { runId, epoch },
    });
  }
}

/** A step returned something that is not plain JSON data; the run is quarantined as `bad_output`. */
export class BadOutputError extends KeelError {
  constructor(step: string, problem: string) {
    super("bad_output", `step "${step}" returned output that cannot be stored: ${problem}`, {
      details: { step, problem },
    });
  }
}

/** A step ran past its timeout; retryable. */
export class StepTimeoutError extends KeelError {
  constructor(step: string, timeoutMs: number) {
    super("timeout", `step "${step}" timed out after ${timeoutMs} ms`, {
      retryable: true,
      details: { step, timeoutMs },
    });
  }
}
