import { InvalidInputError } from "../core/errors/definition-errors.js";
import type { Store } from "../store/store.js";
import { emergencyKey, readEmergency, type EmergencyState } from "./emergency.js";

/** Turning the emergency stop on and off: one settings write and its audit entry, together. */
export async function setEmergencyOn(
  store: Store,
  options: { reason: string; abort?: boolean; actor: string },
): Promise<EmergencyState> {
  const reason = options.reason?.trim();
  if (!reason)
    throw new InvalidInputError("the emergency stop needs a reason (what happened, who to ask)", {
      field: "reason",
    });
  const now = Date.now();
  const state: EmergencyState = {
    on: true,
    reason,
    abort: options.abort === true,
    actor: options.actor,
    at: now,
  };
  await store.setSetting(
    emergencyKey,
    { ...state },
    {
      actor: options.actor,
      at: now,
      reason,
      audit: { action: "emergency.on", target: "emergency_stop", details: { abort: state.abort } },
    },
  );
  return state;
}

export async function setEmergencyOff(
  store: Store,
  options: { actor: string; reason?: string },
): Promise<EmergencyState> {
  const now = Date.now();
  const previous = await readEmergency(store);
  // turning off what is off changes nothing: no write, no second audit entry; the caller sees
  // the state as it was (who turned it off, when)
  if (!previous.on) return previous;
  const state: EmergencyState = {
    on: false,
    reason: null,
    abort: false,
    actor: options.actor,
    at: now,
  };
  await store.setSetting(
    emergencyKey,
    { ...state },
    {
      actor: options.actor,
      at: now,
      reason: options.reason,
      audit: {
        action: "emergency.off",
        target: "emergency_stop",
        details: { was_on: previous.on, since: previous.at },
      },
    },
  );
  return state;
}
