import type { JsonValue } from "../../core/canonical-json.js";
import { KeelError } from "../../core/errors/keel-error.js";
import type { Logger } from "../logger.js";
import { childEntry, childExecArgv } from "./child-entry.js";
import type { StepTask } from "./protocol.js";
import { ChildWorker, type TaskHooks, type WorkerExit } from "./worker.js";

/**
 * The node's pool of child processes for isolated steps: at most `size`, started on first need,
 * kept warm while idle, replaced at once after a death. Tasks beyond `size` wait their turn, first
 * come first served.
 */
export interface PoolOptions {
  size: number;
  /** how long an aborted step's child may take to answer before it is SIGKILLed */
  killGraceMs: number;
  log: Logger;
}

/** a child process of the pool, for `keel status --verbose` */
export interface WorkerProcess {
  pid: number;
  /** starting: forked, not yet listening (a replacement, or a first start) */
  state: "starting" | "idle" | "busy";
  busy: boolean;
  runId: string | null;
  step: string | null;
}

/** A child that died while the pool was open, for health: when, how, and the step it held. */
export interface WorkerDeath extends WorkerExit {
  at: number;
}

/** deaths kept for health and status; older ones are in the log */
const deathsKept = 20;

interface Waiter {
  resolve(worker: ChildWorker): void;
  reject(error: Error): void;
}

export class ProcessPool {
  private readonly workers = new Set<ChildWorker>();
  private readonly waiting: Waiter[] = [];
  private readonly retiring = new Set<ChildWorker>();
  private nextTaskId = 1;
  private closed = false;
  private readonly deathLog: WorkerDeath[] = [];

  constructor(private readonly options: PoolOptions) {}

  /** runs one step attempt in a child; settles when the child answers or dies */
  async run(task: Omit<StepTask, "id">, hooks: TaskHooks): Promise<JsonValue> {
    const worker = await this.acquire(hooks.signal);
    try {
      return await worker.run({ ...task, id: this.nextTaskId++ }, hooks);
    } finally {
      this.handOut();
    }
  }

  get processes(): WorkerProcess[] {
    return [...this.workers]
      .filter((w) => w.alive && w.pid !== undefined)
      .map((w) => ({
        pid: w.pid as number,
        state: w.starting ? "starting" : w.busy ? "busy" : "idle",
        busy: w.busy,
        runId: w.task?.runId ?? null,
        step: w.task?.step ?? null,
      }));
  }

  /** children that died while the pool was open, newest last (at most the last 20) */
  get deaths(): readonly WorkerDeath[] {
    return this.deathLog;
  }

  /**
   * Graceful: children busy with an aborted step get their grace, idle ones are told to exit.
   * Forced: every child is SIGKILLed. Either way, resolves once every child has exited.
   */
  async close(options: { force?: boolean } = {}): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiting.splice(0))
      waiter.reject(new KeelError("node_stopping", "the node is stopping", { retryable: true }));
    const exits = [...this.workers].map((w) => w.exited);
    if (options.force) for (const w of this.workers) w.kill();
    else this.handOut();
    await Promise.all(exits);
  }

  private acquire(signal: AbortSignal): Promise<ChildWorker> {
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    if (this.closed)
      return Promise.reject(
        new KeelError("node_stopping", "the node is stopping", { retryable: true }),
      );
    return new Promise<ChildWorker>((resolve, reject) => {
      const onAbort = (): void => {
        const at = this.waiting.indexOf(waiter);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(signal.reason as Error);
      };
      const waiter: Waiter = {
        resolve: (worker) => {
          signal.removeEventListener("abort", onAbort);
          resolve(worker);
        },
        reject: (error) => {
          signal.removeEventListener("abort", onAbort);
          reject(error);
        },
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.waiting.push(waiter);
      this.handOut();
    });
  }

  /** gives idle children to waiting tasks, and starts children for the rest, up to `size` */
  private handOut(): void {
    const idle = [...this.workers].filter((w) => w.idle);
    if (this.closed) {
      for (const w of idle) this.retire(w);
      return;
    }
    while (this.waiting.length > 0 && idle.length > 0)
      this.waiting.shift()?.resolve(idle.pop() as ChildWorker);
    let starting = [...this.workers].filter((w) => w.starting).length;
    while (this.waiting.length > starting && this.workers.size < this.options.size) {
      this.start();
      starting++;
    }
  }

  private start(): void {
    let worker: ChildWorker;
    try {
      worker = new ChildWorker({
        entry: childEntry(),
        execArgv: childExecArgv(),
        killGraceMs: this.options.killGraceMs,
        log: this.options.log,
      });
    } catch (error) {
      this.waiting.shift()?.reject(error as Error);
      return;
    }
    this.workers.add(worker);
    worker.ready().then(
      () => {
        this.options.log.debug({ workerPid: worker.pid }, "worker process started");
        this.handOut();
      },
      // the task that asked for it fails this attempt (retried); the next need starts another
      (error: Error) => this.waiting.shift()?.reject(error),
    );
    void worker.exited.then((exit) => {
      this.workers.delete(worker);
      if (this.closed) return;
      this.deathLog.push({ ...exit, at: Date.now() });
      if (this.deathLog.length > deathsKept) this.deathLog.shift();
      // replaced at once, to stay warm; one that never got ready is not (no loop of failing starts)
      this.options.log.warn(
        {
          workerPid: worker.pid,
          replaced: worker.wasReady,
          signal: exit.signal,
          exitCode: exit.exitCode,
        },
        "worker process exited",
      );
      if (worker.wasReady && this.workers.size < this.options.size) this.start();
      else this.handOut();
    });
  }

  /** an idle child of a closing pool: asked to exit, killed if it has not after the grace */
  private retire(worker: ChildWorker): void {
    if (this.retiring.has(worker)) return;
    this.retiring.add(worker);
    worker.close();
    const timer = setTimeout(() => worker.kill(), this.options.killGraceMs);
    void worker.exited.then(() => {
      clearTimeout(timer);
      this.retiring.delete(worker);
    });
  }
}
