import { downstreamOf } from "../../core/dag.js";
import type { MismatchClass } from "../../core/determinism/mismatch.js";
import { InvalidInputError, NotFoundError } from "../../core/errors/definition-errors.js";
import { ReplayUnavailableError } from "../../core/errors/golden-errors.js";
import type { Keel } from "../../engine/keel.js";
import type { RunRecord } from "../../store/records.js";
import { runSandbox } from "./sandbox.js";
import { judgeStep, sandboxSteps, type StepReport } from "./replay-steps.js";

export type { StepReport };

/**
 * `keel verify`: replays a run's checkpointed steps from their recorded inputs in a sandbox child
 * process (sandbox-child.ts), N times each, and classifies every difference (core/determinism/
 * mismatch.ts). Whoever serves the operation forks the sandbox: the node, through the API, or the
 * CLI's own process when no node runs; either way the sandbox imports the pipeline's module and
 * never touches the store, so the run is only read.
 */
export interface VerifyOptions {
  replays: number;
  fromStep?: string;
}

export interface VerifyReport {
  run: RunRecord;
  replays: number;
  /** the version of the pipeline replayed; differs from run.pipelineVersion when the code changed */
  replayedVersion: string;
  steps: StepReport[];
  classes: Partial<Record<MismatchClass, number>>;
}

const sandboxTimeoutMs = 120_000;

export async function verifyRun(
  keel: Keel,
  runId: string,
  options: VerifyOptions,
): Promise<VerifyReport> {
  const run = await keel.get(runId);
  if (!run) throw new NotFoundError("run", runId);
  const pipeline = keel.pipeline(run.pipeline);
  if (!pipeline)
    throw new ReplayUnavailableError(
      `pipeline "${run.pipeline}" is not loaded here; list its module under pipelines: in keel.yaml`,
      { pipeline: run.pipeline },
    );
  const module = pipeline.options.module;
  if (!module)
    throw new ReplayUnavailableError(
      `pipeline "${run.pipeline}" names no module for the replay sandbox to import; declare it with pipeline("${run.pipeline}", steps, { module: import.meta.url }) or list it under pipelines: in keel.yaml`,
      { pipeline: run.pipeline },
    );
  let names = pipeline.shape.order;
  if (options.fromStep !== undefined) {
    if (!names.includes(options.fromStep))
      throw new InvalidInputError(
        `--from-step ${options.fromStep}: pipeline "${run.pipeline}" has no such step (its steps: ${names.join(", ")})`,
        { field: "from_step" },
      );
    names = downstreamOf(pipeline.shape, options.fromStep);
  }
  const results = new Map((await keel.store.listStepResults(run.id)).map((r) => [r.step, r]));
  const defs = names.flatMap((n) => pipeline.steps.filter((s) => s.name === n));
  const replayed = sandboxSteps(run, defs, results);
  const answer =
    replayed.length === 0
      ? { version: pipeline.version, shape: [], steps: [] }
      : await runSandbox(
          {
            module,
            pipeline: run.pipeline,
            runId: run.id,
            traceId: run.traceId,
            runInput: run.input,
            seed: run.seed,
            replays: options.replays,
            steps: replayed,
          },
          sandboxTimeoutMs,
        );
  const byStep = new Map(answer.steps.map((s) => [s.step, s.replays]));
  const classes: Partial<Record<MismatchClass, number>> = {};
  const steps: StepReport[] = names.map((name) => {
    const volatile = pipeline.steps.find((s) => s.name === name)?.volatile ?? [];
    const report = judgeStep(name, results.get(name), byStep.get(name), volatile);
    if (report.class) classes[report.class] = (classes[report.class] ?? 0) + 1;
    return report;
  });
  return { run, replays: options.replays, replayedVersion: answer.version, steps, classes };
}
