import { dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { JsonValue } from "../../core/canonical-json.js";
import type { ReplayOutcome } from "../../core/determinism/mismatch.js";
import { maskVolatile } from "../../core/determinism/volatile.js";
import { classifyError } from "../../core/errors/classify.js";
import { isPipeline, type Pipeline } from "../../core/pipeline.js";
import { replayRecorder } from "../../engine/determinism/recorder.js";
import { RunStop } from "../../engine/run-stop.js";
import { runStep } from "../../engine/step-runner.js";
import { installGuards } from "./sandbox-guards.js";
import type { FromSandbox, SandboxJob, SandboxStep } from "./sandbox-protocol.js";

/**
 * The replay sandbox: a child process forked for one verify. It loads the pipeline's module, then
 * watches the network, the files, the clock and randomness (sandbox-guards.ts), replays each
 * step from its recorded input with its recorded ctx.now()/ctx.fetch, and sends every output back.
 * It never opens the store.
 */
const replayTimeoutMs = 30_000;
const noop = (): void => {};
const silent = { debug: noop, info: noop, warn: noop, error: noop };

process.once("message", (job: SandboxJob) => {
  replay(job).then(
    (answer) => send({ type: "done", answer }),
    (error: unknown) =>
      send({ type: "failed", message: (error as Error)?.message ?? String(error) }),
  );
});
process.on("disconnect", () => process.exit(0));

function send(message: FromSandbox): void {
  process.send?.(message, () => process.exit(0));
}

async function replay(job: SandboxJob) {
  const url = job.module.startsWith("file:") ? job.module : pathToFileURL(job.module).href;
  const mod = (await import(url)) as Record<string, unknown>;
  const pipeline = Object.values(mod).find((v) => isPipeline(v) && v.name === job.pipeline) as
    Pipeline | undefined;
  if (!pipeline) throw new Error(`module ${job.module} exports no pipeline "${job.pipeline}"`);
  const guards = installGuards(dirname(fileURLToPath(url)));
  const steps = [];
  for (const s of job.steps) {
    const replays: ReplayOutcome[] = [];
    for (let i = 0; i < job.replays; i++) {
      guards.reset();
      const outcome = await replayOnce(job, pipeline, s);
      replays.push({ ...outcome, ...guards.reset() });
    }
    steps.push({ step: s.step, replays });
  }
  const shape = pipeline.steps.map((d) => ({
    step: d.name,
    after: [...d.after],
    volatile: d.volatile.map((path) => [...path]),
  }));
  return { version: pipeline.version, shape, steps };
}

async function replayOnce(
  job: SandboxJob,
  pipeline: Pipeline,
  s: SandboxStep,
): Promise<Pick<ReplayOutcome, "output" | "error">> {
  const step = pipeline.steps.find((d) => d.name === s.step);
  if (!step)
    return {
      error: { code: "unknown_step", message: `the module's pipeline has no step "${s.step}"` },
    };
  const outcome = await runStep({
    step,
    runId: job.runId,
    traceId: job.traceId,
    pipeline: job.pipeline,
    attempt: s.attempt,
    runInput: job.runInput,
    seed: job.seed,
    input: s.input,
    timeoutMs: Math.min(
      step.timeout ?? pipeline.options.timeout ?? replayTimeoutMs,
      replayTimeoutMs,
    ),
    runStop: new RunStop(),
    log: () => silent,
    onProgress: noop,
    recorder: replayRecorder(s.recorded ?? { now: [], fetch: [] }),
  });
  if (!outcome.ok) {
    const code =
      (outcome.error as { code?: unknown }).code === "unrecorded_call"
        ? "unrecorded_call"
        : classifyError(outcome.error).code;
    return { error: { code, message: outcome.error.message } };
  }
  return { output: maskVolatile(outcome.output, step.volatile) as JsonValue };
}
