import type { TransitionRecord } from "../store/records.js";

/**
 * A run's transitions as they happened. The store's order is the order of the writes, and a step
 * done within its first turn has its start written together with its end (one write, not two),
 * after the start of a slower sibling that began later; sorted by time (write order breaking
 * ties), parallel steps read as they ran.
 */
export function inTimeOrder(transitions: readonly TransitionRecord[]): TransitionRecord[] {
  return [...transitions].sort((a, b) => a.at - b.at || a.id - b.id);
}
