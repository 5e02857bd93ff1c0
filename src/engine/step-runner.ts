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
  // Without a timeout the step's signal is the run's own: it fires for the same reasons, and a
  // controller with two listeners per step was a twentieth of a no-op run's time
  let signal = req.runSignal;
  let timer: NodeJS.Timeout | undefined;
  let onRunAbort: (() => void) | undefined;
  if (req.timeoutMs !== undefined) {
    const controller = new AbortController();
    onRunAbort = (): void => controller.abort(req.runSignal.reason);
    if (req.runSignal.aborted) onRunAbort();
    else req.runSignal.addEventListener("abort", onRunAbort, { once: true });
    timer = setTimeout(
      () => controller.abort(new StepTimeoutError(req.step.name, req.timeoutMs as number)),
      req.timeoutMs,
    );
    signal = controller.signal;
  }
  const ctx = stepContext(req, signal);
  try {
    const value = await Promise.race([
      invoke(req.fn ?? req.step.run, ctx, req.input),
      aborted(signal),
    ]);
    return { ok: true, output: checkOutput(req.step.name, value) };
  } catch (thrown) {
    return {
      ok: false,
      error: signal.aborted ? coerceError(signal.reason) : coerceError(thrown),
    };
  } finally {
    if (timer) clearTimeout(timer);
    if (onRunAbort) req.runSignal.removeEventListener("abort", onRunAbort);
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

/**
 * One promise per signal that rejects when it fires, shared by every step racing it: steps
 * without a timeout race the run's own signal, and a listener each would stay on it until the run
 * ended.
 */
const abortions = new WeakMap<AbortSignal, Promise<never>>();
function aborted(signal: AbortSignal): Promise<never> {
  let promise = abortions.get(signal);
  if (!promise) {
    promise = new Promise<never>((_, reject) => {
      if (signal.aborted) reject(signal.reason);
      else signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
    // raced, never awaited alone: its rejection is handled by each race
    promise.catch(() => {});
    abortions.set(signal, promise);
  }
  return promise;
}

export function checkOutput(step: string, value: unknown): JsonValue {
  try {
    return toJsonData(value);
  } catch (error) {
    if (error instanceof NotJsonError) throw new BadOutputError(step, error.message);
    throw error;
  }
}
