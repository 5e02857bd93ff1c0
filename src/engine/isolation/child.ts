import { importModule as importPipelineModule } from "../module-import.js";
import { classifyError } from "../../core/errors/classify.js";
import { coerceError } from "../../core/errors/coerce-error.js";
import { KeelError } from "../../core/errors/keel-error.js";
import type { KeelErrorCode } from "../../core/errors/codes.js";
import { PermanentError } from "../../core/errors/permanent-error.js";
import { deserializeError, serializeError } from "../../core/errors/serialized-error.js";
import { isPipeline, type AnyStep } from "../../core/pipeline.js";
import type { StepLogger } from "../../core/step-context.js";
import { checkOutput, invoke, stepContext } from "../step-runner.js";
import type { FromChild, LogLevel, StepTask, ToChild } from "./protocol.js";
import { liveRecorder, type Recorder } from "../determinism/recorder.js";

/**
 * The entry of a pool's child process (forked by pool.ts, run from dist/). It imports the
 * pipeline's module, runs one step attempt at a time with a context like the inline one, and
 * answers with the output or the error as data. It lives as long as its IPC channel: when the node
 * goes away, even by SIGKILL, the channel closes and the child exits, so it never outlives it.
 */
const running = new Map<number, AbortController>();
const modules = new Map<string, Promise<Record<string, unknown>>>();
const warned = new Set<string>();

function send(message: FromChild): void {
  if (process.connected) process.send?.(message);
}

process.title = "keel-worker";
process.on("message", (message: ToChild) => {
  if (message.type === "run") void run(message.task);
  else if (message.type === "abort")
    running.get(message.id)?.abort(deserializeError(message.reason));
});
process.on("disconnect", () => process.exit(0));
// a terminal's Ctrl-C or a service manager's SIGTERM reaches the whole process group: the node
// decides when its children stop (graceful: after their step; forced: at once)
process.on("SIGINT", () => undefined);
process.on("SIGTERM", () => undefined);
send({ type: "ready" });

async function run(task: StepTask): Promise<void> {
  const controller = new AbortController();
  let recorder: Recorder | undefined;
  running.set(task.id, controller);
  try {
    const step = await findStep(task);
    const ctx = stepContext(
      {
        step,
        runId: task.runId,
        traceId: task.traceId,
        traceparent: task.traceparent,
        pipeline: task.pipeline,
        attempt: task.attempt,
        runInput: task.runInput,
        seed: task.seed,
        log: () => forwardingLogger(task.id),
        onProgress: (bytes) => send({ type: "progress", id: task.id, bytes }),
        onReport: (report) => send({ type: "report", id: task.id, report }),
      },
      () => controller.signal,
      // a child's recordings are not sent back yet: its ctx.now() and ctx.fetch run live
      () => (recorder ??= liveRecorder()),
    );
    // unlike inline, wait for the function itself: a child is free again only once its step is
    // done, and one that ignores its signal past the grace is killed by the node
    const output = checkOutput(step.name, await invoke(step.run, ctx, task.input, step));
    send({ type: "result", id: task.id, ok: true, output });
  } catch (thrown) {
    send({ type: "result", id: task.id, ok: false, error: serializeError(coerceError(thrown)) });
  } finally {
    running.delete(task.id);
  }
}

async function findStep(task: StepTask): Promise<AnyStep> {
  const mod = await importModule(task);
  const found = Object.values(mod).find((v) => isPipeline(v) && v.name === task.pipeline);
  if (!isPipeline(found))
    throw new PermanentError(
      `pipeline "${task.pipeline}": its module ${task.module} exports no pipeline of that name; export it, so that worker processes can find its isolated steps`,
      "isolation_module",
    );
  // the module changed on disk since the node loaded it (or a loader compiles it differently):
  // the child runs what it loaded, and says so once
  const key = `${task.module}#${task.pipeline}`;
  if (found.version !== task.version && !warned.has(key)) {
    warned.add(key);
    forwardingLogger(task.id).warn(
      { module: task.module, childVersion: found.version, nodeVersion: task.version },
      `pipeline "${task.pipeline}": the worker process loaded another version of its module than the node; restart the node to run one version`,
    );
  }
  const step = found.steps.find((s) => s.name === task.step);
  if (!step)
    throw new PermanentError(
      `pipeline "${task.pipeline}" in ${task.module} has no step "${task.step}"`,
      "isolation_module",
    );
  return step;
}

function importModule(task: StepTask): Promise<Record<string, unknown>> {
  let mod = modules.get(task.module);
  if (!mod) {
    mod = importPipelineModule(task.module).catch((thrown: unknown) => {
      modules.delete(task.module);
      // the import's own class decides: a SyntaxError is permanent, a missing file is retried
      const cause = coerceError(thrown);
      const cls = classifyError(cause);
      throw new KeelError(
        // the classifier's verdict, relayed: a step's own code passes through as it was thrown
        cls.code as KeelErrorCode,
        `pipeline "${task.pipeline}": its module ${task.module} failed to load in a worker process: ${cause.message}`,
        { retryable: cls.retryable, cause },
      );
    });
    modules.set(task.module, mod);
  }
  return mod;
}

function forwardingLogger(id: number): StepLogger {
  const at =
    (level: LogLevel) =>
    (obj: object | string, msg?: string): void =>
      send({ type: "log", id, level, obj: plain(obj), msg });
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** what a log line can carry over the channel: JSON, with errors as pino would show them */
function plain(value: unknown): unknown {
  try {
    return JSON.parse(
      JSON.stringify(value, (_key, v: unknown) =>
        v instanceof Error ? { type: v.name, message: v.message, stack: v.stack } : v,
      ),
    ) as unknown;
  } catch {
    return String(value);
  }
}
