import { readEmergency, type EmergencyState } from "../../engine/emergency.js";
import type { Store } from "../../store/store.js";
import type { ComponentHealth } from "./types.js";

/**
 * The store-wide emergency stop, as health: degraded while it is on (no node starts a step, so
 * the queue only grows), naming who set it, when and why, so that nobody reads a healthy node
 * while its work waits behind a stop someone forgot to turn off.
 */
export function emergencyHealth(state: EmergencyState, now: number): ComponentHealth {
  const details = { on: state.on, reason: state.reason, actor: state.actor, at: state.at };
  if (!state.on)
    return { component: "emergency", status: "healthy", reason: "emergency stop off", details };
  return {
    component: "emergency",
    status: "degraded",
    reason: `emergency stop on: ${describeStop(state, now)}; no node starts a step until \`keel emergency off\``,
    details,
  };
}

/** "since <time> (<age> ago), set by <actor>: <reason>", for every report that names the stop */
export function describeStop(state: EmergencyState, now: number): string {
  const since =
    state.at === null
      ? "since an unknown time"
      : `since ${new Date(state.at).toISOString()} (${Math.round(Math.max(0, now - state.at) / 1000)} s ago)`;
  return `${since}, set by ${state.actor ?? "an unknown actor"}: ${state.reason ?? "no reason given"}`;
}

export async function checkEmergencyHealth(store: Store, now: number): Promise<ComponentHealth> {
  return emergencyHealth(await readEmergency(store), now);
}
