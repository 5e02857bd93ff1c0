import type { JsonValue } from "../core/canonical-json.js";
import type { Pipeline, PipelineOutput } from "../core/pipeline.js";
import type { StepProgress } from "../store/progress.js";
import type { RunRecord, StepResultRecord, TransitionRecord } from "../store/records.js";
import type { RunningStep } from "./running-steps.js";

/**
 * Runs typed by their pipeline. `submit(p, ...)` returns a run whose `id` remembers `p`'s output
 * type; `wait`, `get` and `inspect` given that id (or the run itself) return the output typed.
 * Type only: at run time a RunId is the run's id string, and a plain string is one too (its
 * output then typed as JSON data).
 */
declare const outputType: unique symbol;

export type RunId<O = JsonValue> = string & { readonly [outputType]?: O };

/** a run id, or anything that has one (the run `submit` returned, a RunRecord) */
export type RunRef<O = JsonValue> = RunId<O> | { readonly id: RunId<O> };

type OutputOfId<I> = I extends { readonly [outputType]?: infer O }
  ? unknown extends O
    ? JsonValue
    : O
  : JsonValue;
/** The output type a run id (or a run) carries; a union of runs gives the union of outputs. */
export type RefOutput<R> = R extends string
  ? OutputOfId<R>
  : R extends { readonly id: infer I }
    ? OutputOfId<I>
    : JsonValue;

/** A stored run whose output has its pipeline's type (as JSON brought it back). */
export type TypedRun<O = JsonValue> = Omit<RunRecord, "id" | "output"> & {
  id: RunId<O>;
  output: O | null;
};

export type SubmittedRun<O = JsonValue> = TypedRun<O> & { created: boolean };

export interface RunDetails<O = JsonValue> {
  run: TypedRun<O>;
  steps: StepResultRecord[];
  transitions: TransitionRecord[];
  /** the latest `ctx.progress({...})` report of each step that made one */
  progress: StepProgress[];
  /** steps started and not ended yet, with their elapsed time */
  running: RunningStep[];
}

/** The output type of a pipeline, or JSON data for one known only by name. */
export type OutputOf<P> = P extends Pipeline
  ? unknown extends PipelineOutput<P>
    ? JsonValue
    : PipelineOutput<P>
  : JsonValue;

export function runIdOf(ref: RunRef<unknown>): string {
  return typeof ref === "string" ? ref : ref.id;
}
