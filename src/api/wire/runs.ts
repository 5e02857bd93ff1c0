import type { GateRecord } from "../../store/gates.js";
import { gateDecisionSchema, gateJson } from "./gates.js";
import * as z from "zod";
import { terminalRunStatuses } from "../../core/status.js";
import type { RunDetails } from "../../engine/keel.js";
import type { RetryResult } from "../../store/operator-requests.js";
import type { RunRecord } from "../../store/records.js";
import { elidedFields, type ElidedField, type RunSummary } from "../../store/run-summary.js";
import type { RunPage } from "../../store/store.js";
import {
  progressJson,
  progressSchema,
  runningStepJson,
  runningStepSchema,
  stepJson,
  stepSchema,
  transitionJson,
  transitionSchema,
} from "./steps.js";
import { freeJsonSchema, isoTime, maybeTimeSchema } from "./time.js";

/**
 * The stable JSON shape of a run (docs/cli.md). In a list page a big input or output is replaced
 * by a marker with its size and a big error is cut (docs/api.md#summaries); `elided` names them.
 * Input and output are the pipeline's own JSON: they pass through as written.
 */
export function runJson(run: RunRecord | RunSummary) {
  const elided = "elided" in run && run.elided ? run.elided : {};
  const shown = <T>(field: Exclude<ElidedField, "error">, value: T) => {
    const bytes = elided[field];
    return bytes === undefined ? value : { $elided: true as const, bytes };
  };
  return {
    id: run.id,
    pipeline: run.pipeline,
    pipeline_version: run.pipelineVersion,
    status: run.status,
    priority: run.priority,
    attempts: run.attempts,
    step_attempts: run.stepAttempts,
    source: run.source,
    idempotency_key: run.idempotencyKey,
    trace_id: run.traceId,
    quarantine_reason: run.quarantineReason,
    // a big error is cut, not replaced: its code, step and message stay readable in a list
    error: run.error,
    input: shown("input", run.input),
    output: shown("output", run.output),
    elided: elidedFields.filter((f) => elided[f] !== undefined),
    node_id: run.nodeId,
    scheduled_for: isoTime(run.scheduledFor),
    created_at: isoTime(run.createdAt),
    started_at: isoTime(run.startedAt),
    finished_at: isoTime(run.finishedAt),
    updated_at: isoTime(run.updatedAt),
    terminal: terminalRunStatuses.has(run.status),
  };
}

export const runShape = {
  id: z.string(),
  pipeline: z.string(),
  pipeline_version: z.string(),
  status: z.string(),
  priority: z.number(),
  attempts: z.number(),
  // keyed by step name: the names are the pipeline's
  step_attempts: z.record(z.string(), z.number()),
  source: z.string(),
  idempotency_key: z.string().nullable(),
  trace_id: z.string(),
  quarantine_reason: z.string().nullable(),
  error: z.record(z.string(), z.unknown()).nullable(),
  input: freeJsonSchema,
  output: freeJsonSchema,
  elided: z.array(z.enum(elidedFields as [ElidedField, ...ElidedField[]])),
  node_id: z.string().nullable(),
  scheduled_for: maybeTimeSchema,
  created_at: maybeTimeSchema,
  started_at: maybeTimeSchema,
  finished_at: maybeTimeSchema,
  updated_at: maybeTimeSchema,
  terminal: z.boolean(),
};
export const runSchema = z.strictObject(runShape);
/** a submit or a source's trigger: the run, and whether this call created it */
export const submittedSchema = z.strictObject({ ...runShape, created: z.boolean() });

/** a page of runs (`jobs list`, `quarantine list`): the next page starts after `next_cursor` */
export function runPageJson(page: RunPage) {
  return { runs: page.runs.map(runJson), next_cursor: page.nextCursor };
}

export const runPageSchema = z.strictObject({
  runs: z.array(runSchema),
  next_cursor: z.string().nullable(),
});

/** `jobs show` and `GET /v1/runs/:id`: the run with its checkpoints and transitions */
export function runDetailsJson(d: RunDetails, gate: GateRecord | null = null, now = Date.now()) {
  return {
    ...runJson(d.run),
    steps: d.steps.map(stepJson),
    running_steps: d.running.map(runningStepJson),
    progress: d.progress.map(progressJson),
    transitions: d.transitions.map(transitionJson),
    // the approval gate the run waits at for a person, or null
    waiting_at_gate: gate ? gateJson(gate, now) : null,
  };
}

const runDetailsShape = {
  ...runShape,
  steps: z.array(stepSchema),
  running_steps: z.array(runningStepSchema),
  progress: z.array(progressSchema),
  transitions: z.array(transitionSchema),
  waiting_at_gate: gateDecisionSchema.nullable(),
};
export const runDetailsSchema = z.strictObject(runDetailsShape);

/** A retry: the run as it is now, and what the retry did. */
export function retryJson(
  result: RetryResult,
  fromStep: string | undefined,
  note: string,
  redoDegraded = false,
) {
  return {
    ...runJson(result.run),
    retry: {
      from_status: result.from,
      from_step: fromStep ?? null,
      cleared: result.cleared,
      note,
      redo_degraded: redoDegraded,
    },
  };
}

export const retrySchema = z.strictObject({
  ...runShape,
  retry: z.strictObject({
    from_status: z.string(),
    from_step: z.string().nullable(),
    cleared: z.array(z.string()),
    note: z.string(),
    redo_degraded: z.boolean(),
  }),
});
