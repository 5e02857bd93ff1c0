import { StepTimeoutError } from "../../core/errors/run-errors.js";
import { isolationOf } from "../../core/isolation.js";
import type { AnyStep, Pipeline, StepFn } from "../../core/pipeline.js";
import { runStep, type StepRunInput, type StepRunOutcome } from "../step-runner.js";
import type { ProcessPool } from "./pool.js";

/**
 * The step runner of a pipeline with isolated steps: inline steps run as always; an isolated step
 * runs through the same runStep (context, abort, output check) with a function that hands the
 * attempt to a child of the pool. When the step's signal fires, or its timeout, the attempt ends
 * at once, as inline; the pool then gives the child its grace to stop, or kills it. The timeout
 * counts from when the child has the task: waiting for a free or starting child does not count.
 */
export function isolatedRunner(
  pool: ProcessPool,
  pipeline: Pipeline,
): (req: StepRunInput) => Promise<StepRunOutcome> {
  return (req) => {
    if (isolationOf(pipeline, req.step) !== "process") return runStep(req);
    const inChild: AnyStep = { ...req.step, run: inChildFn(pool, pipeline, req.timeoutMs) };
    return runStep({ ...req, step: inChild, timeoutMs: undefined });
  };
}

function inChildFn(
  pool: ProcessPool,
  pipeline: Pipeline,
  timeoutMs: number | undefined,
): StepFn<unknown, unknown> {
  return (ctx, input) =>
    new Promise((resolve, reject) => {
      const controller = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      const stop = (reason: unknown): void => {
        controller.abort(reason);
        reject(reason as Error);
      };
      const onAbort = (): void => stop(ctx.signal.reason);
      if (ctx.signal.aborted) onAbort();
      else ctx.signal.addEventListener("abort", onAbort, { once: true });
      const task = {
        module: pipeline.options.module as string,
        pipeline: pipeline.name,
        version: pipeline.version,
        step: ctx.step,
        runId: ctx.runId,
        traceId: ctx.traceId,
        traceparent: ctx.traceparent,
        attempt: ctx.attempt,
        runInput: ctx.runInput,
        seed: ctx.seed,
        input,
      };
      pool
        .run(task, {
          signal: controller.signal,
          onStart: () => {
            if (timeoutMs !== undefined)
              timer = setTimeout(() => stop(new StepTimeoutError(ctx.step, timeoutMs)), timeoutMs);
          },
          onLog: (level, obj, msg) => ctx.log[level](obj as object | string, msg),
          onProgress: (bytes) => ctx.progress(bytes),
          onReport: (report) =>
            ctx.progress({
              ...(report.done === null ? {} : { done: report.done }),
              ...(report.total === null ? {} : { total: report.total }),
              ...(report.message === null ? {} : { message: report.message }),
            }),
        })
        .then(resolve, reject)
        .finally(() => {
          clearTimeout(timer);
          ctx.signal.removeEventListener("abort", onAbort);
        });
    });
}
