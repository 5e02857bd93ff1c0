import type { AlertState } from "../../store/alerts.js";

/**
 * The rule state machine, pure: given the state the store holds, since when, and whether the
 * condition holds now, the next state (or null: no change). A condition that holds goes pending
 * and fires once it has held for `forMs` (at once when forMs is 0); one that stops holding
 * resolves a firing rule and drops a pending one back to inactive without telling anyone.
 */
export function nextAlertState(
  current: AlertState,
  since: number,
  holds: boolean,
  forMs: number,
  now: number,
): AlertState | null {
  if (holds) {
    if (current === "firing") return null;
    if (current === "pending") return now - since >= forMs ? "firing" : null;
    return forMs === 0 ? "firing" : "pending";
  }
  if (current === "firing") return "resolved";
  if (current === "pending") return "inactive";
  return null;
}

/** the changes a receiver hears of */
export function isNotified(to: string): boolean {
  return to === "firing" || to === "resolved" || to === "test";
}
