import * as z from "zod";
import type { EmergencyState } from "../../engine/emergency.js";
import { isoTime, maybeTimeSchema } from "./time.js";

/** The store-wide emergency stop: on or off, since when, why, who. */
export function emergencyJson(state: EmergencyState) {
  return {
    on: state.on,
    reason: state.reason,
    abort: state.abort,
    actor: state.actor,
    at: isoTime(state.at),
  };
}

export const emergencySchema = z.strictObject({
  on: z.boolean(),
  reason: z.string().nullable(),
  abort: z.boolean(),
  actor: z.string().nullable(),
  at: maybeTimeSchema,
});
