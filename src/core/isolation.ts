import { PipelineDefinitionError } from "./errors/definition-errors.js";
import type { AnyStep, Isolation, Pipeline } from "./pipeline.js";

/**
 * Where a step runs: its own `isolation`, else its pipeline's, else inline. A step that runs in a
 * child process needs its pipeline's module, so the child can import the step's code.
 */
export function isolationOf(pipeline: Pipeline, step: AnyStep): Isolation {
  return step.isolation ?? pipeline.options.isolation ?? "inline";
}

export function isolatedSteps(pipeline: Pipeline): string[] {
  return pipeline.steps.filter((s) => isolationOf(pipeline, s) === "process").map((s) => s.name);
}

/** Refuses, when a pipeline is registered, isolated steps no child could load. */
export function checkIsolationModule(pipeline: Pipeline): void {
  const isolated = isolatedSteps(pipeline);
  if (isolated.length === 0 || pipeline.options.module) return;
  throw new PipelineDefinitionError(
    pipeline.name,
    `step "${isolated[0]}" runs with isolation: "process", but the pipeline has no module for the child process to import; declare it with pipeline("${pipeline.name}", steps, { module: import.meta.url }), or list the module that exports it under pipelines: in keel.yaml`,
    { steps: isolated, option: "module" },
  );
}

/** The same pipeline (same version) that names the module it was loaded from. */
export function withModule(pipeline: Pipeline, module: string): Pipeline {
  if (pipeline.options.module) return pipeline;
  return Object.freeze({
    ...pipeline,
    options: Object.freeze({ ...pipeline.options, module }),
  });
}
