import * as z from "zod";
import type { RunningStep } from "../../engine/running-steps.js";
import type { StepResultRecord, TransitionRecord } from "../../store/records.js";
import type { StepProgress } from "../../store/store.js";
import { freeJsonSchema, isoTime, maybeTimeSchema } from "./time.js";

/** A step's checkpoint and a transition of a run or step: parts of a run's details. */
export function stepJson(s: StepResultRecord) {
  return {
    step: s.step,
    attempt: s.attempt,
    output: s.output,
    output_hash: s.outputHash,
    node_id: s.nodeId,
    started_at: isoTime(s.startedAt),
    finished_at: isoTime(s.finishedAt),
    duration_ms: s.finishedAt - s.startedAt,
    degraded: s.degraded,
  };
}

export const stepSchema = z.strictObject({
  step: z.string(),
  attempt: z.number(),
  output: freeJsonSchema,
  output_hash: z.string(),
  node_id: z.string().nullable(),
  started_at: maybeTimeSchema,
  finished_at: maybeTimeSchema,
  duration_ms: z.number(),
  degraded: z.boolean(),
});

export function transitionJson(t: TransitionRecord) {
  return {
    id: t.id,
    run_id: t.runId,
    step: t.step,
    from: t.from,
    to: t.to,
    reason: t.reason,
    actor: t.actor,
    at: isoTime(t.at),
    trace_id: t.traceId,
    // free-form: the attempt, the error, a note; keys as written
    details: t.details,
  };
}

export const transitionSchema = z.strictObject({
  id: z.number().int(),
  run_id: z.string(),
  step: z.string().nullable(),
  from: z.string().nullable(),
  to: z.string(),
  reason: z.string(),
  actor: z.string(),
  at: maybeTimeSchema,
  trace_id: z.string().nullable(),
  details: freeJsonSchema,
});

/** A step's latest `ctx.progress({...})` report. */
export function progressJson(p: StepProgress) {
  return {
    step: p.step,
    attempt: p.attempt,
    done: p.done,
    total: p.total,
    message: p.message,
    updated_at: isoTime(p.updatedAt),
  };
}

export const progressSchema = z.strictObject({
  step: z.string(),
  attempt: z.number().int(),
  done: z.number().nullable(),
  total: z.number().nullable(),
  message: z.string().nullable(),
  updated_at: maybeTimeSchema,
});

/** A step in flight: since when, for how long, and how far it says it is. */
export function runningStepJson(r: RunningStep) {
  return {
    step: r.step,
    attempt: r.attempt,
    started_at: isoTime(r.startedAt),
    elapsed_ms: r.elapsedMs,
    progress: r.progress ? progressJson(r.progress) : null,
  };
}

export const runningStepSchema = z.strictObject({
  step: z.string(),
  attempt: z.number().int(),
  started_at: maybeTimeSchema,
  elapsed_ms: z.number(),
  progress: progressSchema.nullable(),
});
