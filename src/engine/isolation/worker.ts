import { fork, type ChildProcess } from "node:child_process";
import type { JsonValue } from "../../core/canonical-json.js";
import { coerceError } from "../../core/errors/coerce-error.js";
import { deserializeError, serializeError } from "../../core/errors/serialized-error.js";
import { WorkerCrashedError, WorkerStartError } from "../../core/errors/worker-errors.js";
import type { Logger } from "../logger.js";
import type { CheckedReport } from "../step-progress.js";
import type { FromChild, LogLevel, StepTask, ToChild } from "./protocol.js";

/** How a child process ended: its code or signal, whether keel killed it, the step it held. */
export interface WorkerExit {
  pid: number | null;
  exitCode: number | null;
  signal: string | null;
  /** keel SIGKILLed it (a step past its abort grace, a forced stop), not something else */
  killedByKeel: boolean;
  task: { runId: string; step: string } | null;
}

/**
 * One child process of the pool and the task it runs. `run` settles when the child answers or
 * dies, never earlier: after an abort the child has `killGraceMs` to answer before it is killed,
 * so a busy worker is never handed out again while its last step may still be running.
 */

export interface TaskHooks {
  /** the step's signal: on abort the child is told, then killed after the grace */
  signal: AbortSignal;
  /** the child has the task: its step's time starts now */
  onStart?(): void;
  onLog(level: LogLevel, obj: unknown, msg: string | undefined): void;
  onProgress(bytes: number): void;
  onReport(report: CheckedReport): void;
}

export interface WorkerSpawn {
  entry: string;
  execArgv: string[];
  killGraceMs: number;
  log: Logger;
}

interface Current {
  task: StepTask;
  hooks: TaskHooks;
  resolve(output: JsonValue): void;
  reject(error: Error): void;
  onAbort(): void;
  killTimer?: NodeJS.Timeout;
}

export class ChildWorker {
  private readonly child: ChildProcess;
  private state: "starting" | "idle" | "busy" | "dead" = "starting";
  private current: Current | undefined;
  private everReady = false;
  private readonly started: Promise<void>;
  /** resolves once the process exited and was reaped, with how it ended */
  readonly exited: Promise<WorkerExit>;
  private killedByKeel = false;

  constructor(private readonly spawn: WorkerSpawn) {
    this.child = fork(spawn.entry, [], {
      execArgv: spawn.execArgv,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      serialization: "json",
    });
    let ready!: () => void;
    let failed!: (error: Error) => void;
    this.started = new Promise<void>((resolve, reject) => {
      ready = resolve;
      failed = reject;
    });
    this.started.catch(() => undefined);
    this.child.on("message", (message: FromChild) => {
      if (message.type === "ready" && this.state === "starting") {
        this.state = "idle";
        this.everReady = true;
        this.unref();
        ready();
      } else this.onMessage(message);
    });
    // a failed fork or send is followed by 'exit', which is where the task is settled
    this.child.on("error", (error) =>
      spawn.log.warn({ err: error, workerPid: this.pid }, "worker error"),
    );
    this.exited = new Promise<WorkerExit>((resolve) => {
      this.child.once("exit", (exitCode, signal) => {
        const wasStarting = this.state === "starting";
        const exit: WorkerExit = {
          pid: this.pid ?? null,
          exitCode,
          signal: signal ?? null,
          killedByKeel: this.killedByKeel,
          task: this.task ?? null,
        };
        this.state = "dead";
        if (wasStarting)
          failed(
            new WorkerStartError(
              `a worker process for isolated steps exited before it was ready (exit code ${exitCode}, signal ${signal})`,
            ),
          );
        this.settle((c) =>
          c.reject(
            new WorkerCrashedError(c.task.step, {
              pid: this.pid,
              exitCode,
              signal: signal ?? null,
            }),
          ),
        );
        resolve(exit);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get busy(): boolean {
    return this.state === "busy";
  }

  get idle(): boolean {
    return this.state === "idle";
  }

  get starting(): boolean {
    return this.state === "starting";
  }

  /** it started and listened: a death after that is not a failure to start */
  get wasReady(): boolean {
    return this.everReady;
  }

  get alive(): boolean {
    return this.state !== "dead";
  }

  /** the run and step in flight, if any */
  get task(): { runId: string; step: string } | undefined {
    return this.current && { runId: this.current.task.runId, step: this.current.task.step };
  }

  ready(): Promise<void> {
    return this.started;
  }

  run(task: StepTask, hooks: TaskHooks): Promise<JsonValue> {
    if (this.state !== "idle") throw new Error(`worker ${this.pid} is ${this.state}, not idle`);
    this.state = "busy";
    this.ref();
    return new Promise<JsonValue>((resolve, reject) => {
      const onAbort = (): void => this.abort();
      this.current = { task, hooks, resolve, reject, onAbort };
      this.send({ type: "run", task });
      hooks.onStart?.();
      if (hooks.signal.aborted) onAbort();
      else hooks.signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** SIGKILL; the task in flight, if any, fails as a crash */
  kill(): void {
    if (this.state === "dead") return;
    this.killedByKeel = true;
    this.child.kill("SIGKILL");
  }

  /** closes the channel: an idle child exits by itself */
  close(): void {
    if (this.child.connected) this.child.disconnect();
  }

  private abort(): void {
    const current = this.current;
    if (!current || current.killTimer) return;
    this.send({
      type: "abort",
      id: current.task.id,
      reason: serializeError(coerceError(current.hooks.signal.reason)),
    });
    current.killTimer = setTimeout(() => {
      this.spawn.log.warn(
        { workerPid: this.pid, runId: current.task.runId, step: current.task.step },
        `worker still busy ${this.spawn.killGraceMs} ms after its step was aborted: killing it`,
      );
      this.kill();
    }, this.spawn.killGraceMs);
  }

  private onMessage(message: FromChild): void {
    const current = this.current;
    if (!current || message.type === "ready" || message.id !== current.task.id) return;
    if (message.type === "log") current.hooks.onLog(message.level, message.obj, message.msg);
    else if (message.type === "progress") current.hooks.onProgress(message.bytes);
    else if (message.type === "report") current.hooks.onReport(message.report);
    else {
      this.state = "idle";
      this.unref();
      this.settle((c) =>
        message.ok ? c.resolve(message.output) : c.reject(deserializeError(message.error)),
      );
    }
  }

  private settle(how: (current: Current) => void): void {
    const current = this.current;
    if (!current) return;
    this.current = undefined;
    if (current.killTimer) clearTimeout(current.killTimer);
    current.hooks.signal.removeEventListener("abort", current.onAbort);
    how(current);
  }

  private send(message: ToChild): void {
    // a child that died is settled by its 'exit' event; the failed send adds nothing
    if (this.child.connected) this.child.send(message, () => undefined);
  }

  // an idle pool must not keep an embedding process alive; a step in flight must
  private ref(): void {
    this.child.ref();
    this.child.channel?.ref();
  }

  private unref(): void {
    this.child.unref();
    this.child.channel?.unref();
  }
}
