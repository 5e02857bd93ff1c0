import { IllegalTransitionError } from "./errors/run-errors.js";

/**
 * Run and step statuses, and the one table of legal transitions. The store refuses any write
 * whose (from, to) pair is not listed here: every backend calls `assertTransition` before it
 * records a status change (a repair that restores the status the trail records is the exception).
 */
export const RunStatus = {
  pending: "pending",
  running: "running",
  succeeded: "succeeded",
  quarantined: "quarantined",
  cancelled: "cancelled",
} as const;
export type RunStatus = (typeof RunStatus)[keyof typeof RunStatus];

export const StepStatus = {
  pending: "pending",
  running: "running",
  succeeded: "succeeded",
  failed: "failed",
  cancelled: "cancelled",
} as const;
export type StepStatus = (typeof StepStatus)[keyof typeof StepStatus];

export const runStatuses = Object.values(RunStatus);
export const stepStatuses = Object.values(StepStatus);

/** Runs that will not move again unless an operator retries them. */
export const terminalRunStatuses: ReadonlySet<RunStatus> = new Set([
  "succeeded",
  "quarantined",
  "cancelled",
]);

const runTransitions: Record<RunStatus, readonly RunStatus[]> = {
  // claim, or cancel before it starts
  pending: ["running", "cancelled"],
  // retry scheduled / lease lost / aborted; done; failed for good; cancelled mid-flight
  running: ["pending", "succeeded", "quarantined", "cancelled"],
  // an operator's retry (from a step, or from the start)
  succeeded: ["pending"],
  quarantined: ["pending"],
  cancelled: ["pending"],
};

const stepTransitions: Record<StepStatus, readonly StepStatus[]> = {
  pending: ["running", "cancelled"],
  // checkpoint; failed attempt; returned untouched (abort, lost lease); cancelled with its run
  running: ["succeeded", "failed", "pending", "cancelled"],
  failed: ["running", "pending", "cancelled"],
  // cleared by an operator's retry --from-step
  succeeded: ["pending"],
  cancelled: ["pending"],
};

export function isLegalRunTransition(from: RunStatus, to: RunStatus): boolean {
  return runTransitions[from]?.includes(to) ?? false;
}

export function isLegalStepTransition(from: StepStatus, to: StepStatus): boolean {
  return stepTransitions[from]?.includes(to) ?? false;
}

/**
 * Throws IllegalTransitionError unless (from, to) is in the table. `from` null is a run being
 * created, which may only start pending; a step is never created by a transition.
 */
export function assertTransition(
  kind: "run" | "step",
  from: string | null,
  to: string,
  runId?: string,
): void {
  const legal =
    from === null
      ? kind === "run" && to === RunStatus.pending
      : kind === "run"
        ? isRunStatus(from) && isRunStatus(to) && isLegalRunTransition(from, to)
        : isStepStatus(from) && isStepStatus(to) && isLegalStepTransition(from, to);
  if (!legal) throw new IllegalTransitionError(kind, from ?? "(new)", to, runId);
}

function isStepStatus(value: unknown): value is StepStatus {
  return typeof value === "string" && (stepStatuses as string[]).includes(value);
}

export function isRunStatus(value: unknown): value is RunStatus {
  return typeof value === "string" && (runStatuses as string[]).includes(value);
}
