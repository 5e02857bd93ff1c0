import * as z from "zod";
import type { TransitionRecord } from "../../store/records.js";
import type { StepProgress } from "../../store/store.js";
import { progressJson, progressSchema, transitionJson, transitionSchema } from "./steps.js";

/**
 * The transition feed: a page of it (`GET /v1/transitions`), and the same transitions one by one
 * as the `data` of each server-sent event of `/v1/events`.
 */
export function transitionPageJson(transitions: readonly TransitionRecord[], after: number) {
  return {
    transitions: transitions.map(transitionJson),
    last_id: transitions.at(-1)?.id ?? after,
  };
}

export const transitionPageSchema = z.strictObject({
  transitions: z.array(transitionSchema),
  last_id: z.number().int(),
});

/** one event of the stream: a `transition` (its id the event's), or a step's `progress` */
export const streamEventSchema = transitionSchema;

export function progressEventJson(p: StepProgress) {
  return { run_id: p.runId, ...progressJson(p) };
}

export const progressEventSchema = progressSchema.extend({ run_id: z.string() });
