import { MismatchClass } from "../../core/determinism/mismatch.js";
import { outputHash, type VolatilePath } from "../../core/determinism/volatile.js";
import type { Keel } from "../../engine/keel.js";
import type { ShadowComparison, ShadowRecord, ShadowStepVerdict } from "../../store/shadow-rows.js";
import { judgeStep, sandboxSteps } from "../verify/replay-steps.js";
import { runSandbox, type SandboxOptions } from "../verify/sandbox.js";

/**
 * One sampled run through the shadow: the shadow version's steps replayed in the verify sandbox
 * on the primary run's recorded inputs, with its recorded ctx.now()/ctx.fetch, each output judged
 * against the primary's checkpoint of the same step by verify's classifier. Two replays per step,
 * so a result that changed (SEED_MISMATCH) is told from one that is unstable. The sandbox holds no
 * store handle and refuses network calls and file writes: the primary run and its side effects
 * are only read.
 */
export const shadowReplays = 2;
const compareTimeoutMs = 120_000;
const changedNote =
  "the shadow version's output differs from the primary's, and is the same on every replay: the new version changes this step's result";

export async function compareRun(
  keel: Keel,
  shadow: ShadowRecord,
  runId: string,
  options: SandboxOptions & { now: () => number },
): Promise<ShadowComparison> {
  const failed = (error: string): ShadowComparison => ({
    shadowId: shadow.id,
    runId,
    at: options.now(),
    version: null,
    error,
    steps: [],
  });
  const run = await keel.store.getRun(runId);
  if (!run) return failed(`the primary run ${runId} is gone (purged by retention?)`);
  const results = new Map((await keel.store.listStepResults(run.id)).map((r) => [r.step, r]));
  const defs = shadow.steps.map((s) => ({ name: s.step, after: s.after }));
  let answer;
  try {
    answer = await runSandbox(
      {
        module: shadow.moduleResolved,
        pipeline: shadow.pipeline,
        runId: run.id,
        traceId: run.traceId,
        runInput: run.input,
        seed: run.seed,
        replays: shadowReplays,
        steps: sandboxSteps(run, defs, results),
      },
      compareTimeoutMs,
      options,
    );
  } catch (error) {
    if (options.signal?.aborted) throw error;
    return failed((error as Error).message);
  }
  const byStep = new Map(answer.steps.map((s) => [s.step, s.replays]));
  const volatileOf = new Map(answer.shape.map((s) => [s.step, s.volatile as VolatilePath[]]));
  const steps = shadow.steps.map(({ step }): ShadowStepVerdict => {
    const volatile = volatileOf.get(step) ?? [];
    const result = results.get(step);
    // the record hashed with the shadow's volatile fields, as its replays are
    const record = result && { ...result, outputHash: outputHash(result.output, volatile) };
    const report = judgeStep(step, record, byStep.get(step), volatile);
    return {
      step,
      status: report.status,
      class: report.class,
      fields: report.fields,
      calls: report.calls,
      note: report.class === MismatchClass.seedMismatch ? changedNote : report.note,
    };
  });
  return {
    shadowId: shadow.id,
    runId,
    at: options.now(),
    version: answer.version,
    error: null,
    steps,
  };
}
