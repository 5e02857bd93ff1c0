import { toJsonData, NotJsonError, type JsonValue } from "../core/canonical-json.js";
import { coerceError } from "../core/errors/coerce-error.js";
import { BadOutputError, StepTimeoutError } from "../core/errors/run-errors.js";
import type { AnyStep } from "../core/pipeline.js";
import type { StepContext, StepLogger } from "../core/step-context.js";

/**
 * Runs one step function once: builds its context, enforces its timeout, and turns what it
 * returns into JSON data (or a BadOutputError). A step that ignores its AbortSignal is left
 * behind: the attempt ends when the signal fires, whatever the function does afterwards.
 */
export interface StepRunInput {
  step: AnyStep;
  runId: string;
  traceId: string;
  pipeline: string;
  attempt: number;
  runInput: unknown;
  seed: number;
  input: unknown;
  timeoutMs: number | undefined;
  /** aborted when the whole run stops (cancel, lost lease, forced stop) */
  runSignal: AbortSignal;
  /** made on first use: most steps never log, and a child logger per step is not free */
  log: () => StepLogger;
  onProgress: (bytes: number) => void;
  /** run this in place of the step's function (its fallback), with the same context and rules */
  fn?: (ctx: StepContext, input: unknown) => unknown;
}

export type StepRunOutcome = { ok: true; output: JsonValue } | { ok: false; error: Error };

export async function runStep(req: StepRunInput): Promise<StepRunOutcome> {
  const controller = new AbortController();
  const onRunAbort = (): void => controller.abort(req.runSignal.reason);
  if (req.runSignal.aborted) onRunAbort();
  else req.runSignal.addEventListener("abort", onRunAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  if (req.timeoutMs !== undefined) {
    timer = setTimeout(
      () => controller.abort(new StepTimeoutError(req.step.name, req.timeoutMs as number)),
      req.timeoutMs,
    );
  }
  const ctx = stepContext(req, controller.signal);
  try {
    const value = await Promise.race([
      invoke(req.fn ?? req.step.run, ctx, req.input),
      aborted(controller.signal),
    ]);
    return { ok: true, output: checkOutput(req.step.name, value) };
  } catch (thrown) {
    return {
      ok: false,
      error: controller.signal.aborted
        ? coerceError(controller.signal.reason)
        : coerceError(thrown),
    };
  } finally {
    if (timer) clearTimeout(timer);
    req.runSignal.removeEventListener("abort", onRunAbort);
  }
}

/** What the step function sees; the same inline and in an isolated step's child process. */
export function stepContext(
  req: Omit<StepRunInput, "input" | "timeoutMs" | "runSignal" | "fn">,
  signal: AbortSignal,
): StepContext {
  let log: StepLogger | undefined;
  return {
    runId: req.runId,
    traceId: req.traceId,
    pipeline: req.pipeline,
    step: req.step.name,
    attempt: req.attempt,
    runInput: req.runInput,
    seed: req.seed,
    signal,
    get log() {
      return (log ??= req.log());
    },
    progress: (bytes) => {
      if (Number.isFinite(bytes) && bytes > 0) req.onProgress(bytes);
    },
  };
}

export async function invoke(
  fn: (ctx: StepContext, input: unknown) => unknown,
  ctx: StepContext,
  input: unknown,
): Promise<unknown> {
  // a synchronous throw becomes a rejection like any other
  return fn(ctx, input);
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

export function checkOutput(step: string, value: unknown): JsonValue {
  try {
    return toJsonData(value);
  } catch (error) {
    if (error instanceof NotJsonError) throw new BadOutputError(step, error.message);
    throw error;
  }
}
