import { toJsonData, NotJsonError, type JsonValue } from "../core/canonical-json.js";
import { coerceError } from "../core/errors/coerce-error.js";
import { BadOutputError, StepTimeoutError } from "../core/errors/run-errors.js";
import { stepInput } from "../core/input-schema.js";
import type { AnyStep } from "../core/pipeline.js";
import type { ProgressReport, StepContext, StepLogger } from "../core/step-context.js";
import { checkReport, type CheckedReport } from "./step-progress.js";
import type { RunStop } from "./run-stop.js";
import { isEmptyRecording, type StepRecording } from "../core/determinism/recording.js";
import { seededRandom, type SeededRandom } from "../core/determinism/seeded-random.js";
import { liveRecorder, type Recorder } from "./determinism/recorder.js";

/**
 * Runs one step function once: builds its context, enforces its timeout, and turns what it
 * returns into JSON data (or a BadOutputError). A step that ignores its AbortSignal is left
 * behind: the attempt ends when the signal fires, whatever the function does afterwards.
 */
export interface StepRunInput {
  step: AnyStep;
  runId: string;
  traceId: string;
  /** the W3C header of the step's span, handed to the step as ctx.traceparent */
  traceparent?: string;
  pipeline: string;
  attempt: number;
  runInput: unknown;
  seed: number;
  input: unknown;
  timeoutMs: number | undefined;
  /** fires when the whole run stops (cancel, lost lease, forced stop) */
  runStop: RunStop;
  /** made on first use: most steps never log, and a child logger per step is not free */
  log: () => StepLogger;
  onProgress: (bytes: number) => void;
  /** a `ctx.progress({ done, total, message })` report, checked */
  onReport?: (report: CheckedReport) => void;
  /** run this in place of the step's function (its fallback), with the same context and rules */
  fn?: (ctx: StepContext, input: unknown) => unknown;
  /** serves ctx.now() and ctx.fetch; a live one (recording) unless a replay hands its own */
  recorder?: Recorder;
}

export type StepRunOutcome =
  { ok: true; output: JsonValue; recorded?: StepRecording } | { ok: false; error: Error };

export async function runStep(req: StepRunInput): Promise<StepRunOutcome> {
  const run = req.runStop;
  // Without a timeout the step's signal is the run's own, made only if the step reads it, and
  // the step races the run's one stop promise: no controller or listener per step.
  const own =
    req.timeoutMs === undefined ? undefined : timeoutSignal(req.step.name, req.timeoutMs, run);
  // made on first use of ctx.now() or ctx.fetch: most steps use neither
  let recorder = req.recorder;
  const recorderOf = (): Recorder => (recorder ??= liveRecorder());
  const ctx = stepContext(req, own ? () => own.signal : () => run.signal, recorderOf);
  try {
    const value = await Promise.race([
      invoke(req.fn ?? req.step.run, ctx, req.input, req.step),
      own ? aborted(own.signal) : run.whenStopped,
    ]);
    const output = checkOutput(req.step.name, value);
    const recorded = recorder?.recording();
    return recorded && !isEmptyRecording(recorded)
      ? { ok: true, output, recorded }
      : { ok: true, output };
  } catch (thrown) {
    const stopped = own ? own.signal.aborted : run.stopRequested;
    const reason = own ? (own.signal.reason as unknown) : run.reason;
    return { ok: false, error: coerceError(stopped ? reason : thrown) };
  } finally {
    own?.dispose();
  }
}

/** A step's own signal: fired by its timeout or by its run stopping, whichever comes first. */
function timeoutSignal(
  step: string,
  timeoutMs: number,
  run: RunStop,
): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onRunStop = (): void => controller.abort(run.reason);
  if (run.stopRequested) onRunStop();
  else run.signal.addEventListener("abort", onRunStop, { once: true });
  const timer = setTimeout(
    () => controller.abort(new StepTimeoutError(step, timeoutMs)),
    timeoutMs,
  );
  return {
    signal: controller.signal,
    dispose: () => {
      clearTimeout(timer);
      run.signal.removeEventListener("abort", onRunStop);
    },
  };
}

/** What the step function sees; the same inline and in an isolated step's child process. */
export function stepContext(
  req: Omit<StepRunInput, "input" | "timeoutMs" | "runStop" | "fn" | "recorder">,
  signalOf: () => AbortSignal,
  recorderOf: () => Recorder,
): StepContext {
  let log: StepLogger | undefined;
  let random: SeededRandom | undefined;
  const draws = (): SeededRandom => (random ??= seededRandom(req.seed, req.step.name));
  return {
    runId: req.runId,
    traceId: req.traceId,
    get traceparent() {
      return req.traceparent;
    },
    pipeline: req.pipeline,
    step: req.step.name,
    attempt: req.attempt,
    runInput: req.runInput,
    seed: req.seed,
    get signal() {
      return signalOf();
    },
    get log() {
      return (log ??= req.log());
    },
    progress: (arg: number | ProgressReport) => {
      const bytes = typeof arg === "number" ? arg : arg.bytes;
      if (typeof arg === "object" && arg !== null) req.onReport?.(checkReport(arg));
      if (typeof bytes === "number" && Number.isFinite(bytes) && bytes > 0) req.onProgress(bytes);
    },
    random: () => draws().next(),
    uuid: () => draws().uuid(),
    now: () => recorderOf().now(),
    fetch: (input, init) => recorderOf().fetch(input, init, req.traceparent),
  };
}

export async function invoke(
  fn: (ctx: StepContext, input: unknown) => unknown,
  ctx: StepContext,
  input: unknown,
  step: AnyStep,
): Promise<unknown> {
  // a synchronous throw becomes a rejection like any other; a step with an input schema (and its
  // fallback) receives the schema's output, as its type says
  return fn(ctx, await stepInput(step, input));
}

/** rejects when the step's own signal (its timeout, or its run stopping) fires */
function aborted(signal: AbortSignal): Promise<never> {
  const promise = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
  // raced, never awaited alone: its rejection is handled by the race
  promise.catch(() => {});
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
