import type { JsonValue } from "../core/canonical-json.js";
import { hashJson } from "../core/canonical-json.js";
import { readySteps } from "../core/dag.js";
import { classifyError } from "../core/errors/classify.js";
import { isKeelError } from "../core/errors/keel-error.js";
import { LeaseLostError } from "../core/errors/run-errors.js";
import { TransientError } from "../core/errors/transient-error.js";
import type { AnyStep, Pipeline } from "../core/pipeline.js";
import { backoffDelayMs, resolveRetryPolicy, type RetryPolicy } from "../core/retry.js";
import type { ErrorInfo, Lease, RunRecord } from "../store/records.js";
import type { ClaimedRun, Store } from "../store/store.js";
import { isPoisoned } from "./isolation/poison.js";
import type { Logger } from "./logger.js";
import { runStep } from "./step-runner.js";

/**
 * Executes one claimed run: its ready steps in parallel, a checkpoint per finished step, and at
 * the end exactly one of: succeeded (with the last checkpoint), rescheduled, quarantined, or given
 * back. Steps already checkpointed are never run again.
 */
export type AbortReason = "cancelled" | "lease_lost" | "stopping" | "emergency";

export interface StepEvent {
  runId: string;
  pipeline: string;
  step: string;
  status: "running" | "succeeded" | "failed";
  attempt: number;
  ms?: number;
  error?: ErrorInfo;
}

export interface ExecutionDeps {
  store: Store;
  log: Logger;
  retry: RetryPolicy;
  /** true while the emergency stop is on: start no further step */
  halted: () => boolean;
  /** a write is being held because the disk is full */
  onStorageFull?: () => void;
  onStep: (event: StepEvent) => void;
  onProgress: (runId: string, bytes: number) => void;
  /** runs one step attempt; the node routes isolated steps to its process pool */
  runStep?: typeof runStep;
  /** worker crashes of one run before it is quarantined as `poison` (isolation.poison_after) */
  poisonAfter?: number;
}

type Failure =
  | { kind: "retry"; delayMs: number; error: ErrorInfo }
  | { kind: "quarantine"; reason: string; error: ErrorInfo };

export class RunExecution {
  readonly run: RunRecord;
  readonly lease: Lease;
  readonly claimedAt = Date.now();
  private readonly controller = new AbortController();
  private readonly done = new Map<string, JsonValue>();
  private readonly stepAttempts: Record<string, number>;
  private runLog: Logger | undefined;
  private failure: Failure | undefined;
  private abortReason: AbortReason | undefined;
  private finished = false;
  private readonly checkpointWrites = new Set<Promise<void>>();

  constructor(
    claimed: ClaimedRun,
    private readonly pipeline: Pipeline,
    private readonly deps: ExecutionDeps,
  ) {
    this.run = claimed.run;
    this.lease = claimed.lease;
    this.stepAttempts = { ...claimed.run.stepAttempts };
    for (const cp of claimed.checkpoints) this.done.set(cp.step, cp.output);
  }

  /** the run's logger, bound to its ids; made on first use, as most runs log nothing */
  private get log(): Logger {
    return (this.runLog ??= this.deps.log.child({
      runId: this.run.id,
      traceId: this.run.traceId,
      pipeline: this.run.pipeline,
    }));
  }

  /** true once the run's final write is committed: a heartbeat no longer needs to find it */
  get settled(): boolean {
    return this.finished;
  }

  abort(reason: AbortReason): void {
    if (this.abortReason || this.finished) return;
    this.abortReason = reason;
    this.controller.abort(new TransientError(`run ${this.run.id} stopped: ${reason}`, reason));
  }

  async execute(): Promise<void> {
    try {
      await this.runSteps();
      await this.settle();
    } catch (error) {
      if (error instanceof LeaseLostError) {
        this.log.warn(
          { err: error },
          "lease lost; another node owns the run now, nothing more is written",
        );
      } else {
        // a store write failed: stop here; the node's heartbeat finds the run held with no
        // execution and gives it back (or, if the node dies, its lease runs out), losing at most
        // the steps in flight
        this.log.error(
          { err: error },
          "store write failed during the run; it will be given back and claimed again",
        );
      }
    } finally {
      this.finished = true;
    }
  }

  private async runSteps(): Promise<void> {
    const nodes = this.pipeline.steps;
    const inFlight = new Map<string, Promise<void>>();
    for (;;) {
      if (!this.failure && !this.abortReason && !this.deps.halted()) {
        for (const name of readySteps(nodes, new Set(this.done.keys()), new Set(inFlight.keys()))) {
          const step = nodes.find((s) => s.name === name) as AnyStep;
          const task = this.runOne(step).finally(() => inFlight.delete(name));
          inFlight.set(name, task);
        }
      }
      if (inFlight.size === 0) return;
      // a failing task rejects only on store errors: let them end the run's execution
      await Promise.race(inFlight.values());
    }
  }

  private async runOne(step: AnyStep): Promise<void> {
    const failed = this.stepAttempts[step.name] ?? 0;
    const attempt = failed + 1;
    await this.persist(() =>
      this.deps.store.startStep(
        this.lease,
        step.name,
        attempt,
        failed > 0 ? "failed" : "pending",
        Date.now(),
      ),
    );
    this.deps.onStep({
      runId: this.run.id,
      pipeline: this.run.pipeline,
      step: step.name,
      status: "running",
      attempt,
    });
    const startedAt = Date.now();
    const clock = performance.now();
    const outcome = await (this.deps.runStep ?? runStep)({
      step,
      runId: this.run.id,
      traceId: this.run.traceId,
      pipeline: this.run.pipeline,
      attempt,
      runInput: this.run.input,
      seed: this.run.seed,
      input: this.inputFor(step),
      timeoutMs: step.timeout ?? this.pipeline.options.timeout,
      runSignal: this.controller.signal,
      log: () => this.log.child({ step: step.name, attempt }),
      onProgress: (bytes) => this.deps.onProgress(this.run.id, bytes),
    });
    if (this.abortReason) return;
    const finishedAt = Date.now();
    const ms = Math.round((performance.now() - clock) * 1000) / 1000;
    if (outcome.ok) {
      // decided synchronously, so two sibling steps finishing together cannot both miss being last
      const last = !this.failure && this.done.size + 1 === this.pipeline.steps.length;
      this.done.set(step.name, outcome.output);
      const checkpoint = {
        step: step.name,
        output: outcome.output,
        outputHash: hashJson(outcome.output),
        attempt,
        startedAt,
        finishedAt,
      };
      if (last) {
        // the run may succeed only after every sibling checkpoint is committed
        await Promise.allSettled(this.checkpointWrites);
        await this.persist(() =>
          this.deps.store.completeStep(this.lease, checkpoint, this.runOutput()),
        );
        this.finished = true;
      } else {
        const write = this.persist(() => this.deps.store.completeStep(this.lease, checkpoint));
        this.checkpointWrites.add(write);
        try {
          await write;
        } finally {
          this.checkpointWrites.delete(write);
        }
      }
      this.deps.onStep({
        runId: this.run.id,
        pipeline: this.run.pipeline,
        step: step.name,
        status: "succeeded",
        attempt,
        ms,
      });
      return;
    }
    await this.recordFailure(step, attempt, outcome.error, ms);
  }

  private async recordFailure(
    step: AnyStep,
    attempt: number,
    error: Error,
    ms: number,
  ): Promise<void> {
    const cls = classifyError(error);
    const info: ErrorInfo = {
      code: cls.code,
      message: error.message,
      step: step.name,
      retryable: cls.retryable,
      stack: error.stack?.split("\n").slice(0, 8).join("\n"),
    };
    this.stepAttempts[step.name] = attempt;
    const stepAttempts = { ...this.stepAttempts };
    await this.persist(() =>
      this.deps.store.recordStepFailure(this.lease, {
        step: step.name,
        attempt,
        error: info,
        stepAttempts,
        at: Date.now(),
      }),
    );
    this.deps.onStep({
      runId: this.run.id,
      pipeline: this.run.pipeline,
      step: step.name,
      status: "failed",
      attempt,
      ms,
      error: info,
    });
    this.log.warn({ step: step.name, attempt, code: cls.code, err: error }, "step attempt failed");
    const policy = this.policyFor(step);
    let next: Failure;
    if (!cls.retryable) {
      next = {
        kind: "quarantine",
        reason: cls.code === "bad_output" ? "bad_output" : `permanent:${cls.code}`,
        error: info,
      };
    } else if (attempt >= policy.maxAttempts) {
      next = {
        kind: "quarantine",
        reason: cls.code === "timeout" ? "timeout" : "max_attempts",
        error: info,
      };
    } else {
      const hinted =
        isKeelError(error) && error instanceof TransientError ? error.nextRetryDelayMs : undefined;
      next = { kind: "retry", delayMs: hinted ?? backoffDelayMs(policy, attempt), error: info };
    }
    // a run that keeps killing its worker process is not retried once more: poison
    if (
      cls.code === "worker_crashed" &&
      (await isPoisoned(this.deps.store, this.run.id, this.deps.poisonAfter))
    )
      next = { kind: "quarantine", reason: "poison", error: info };
    // a permanent failure outranks a retry asked for by a sibling step
    if (!this.failure || (this.failure.kind === "retry" && next.kind === "quarantine"))
      this.failure = next;
  }

  private async settle(): Promise<void> {
    const now = Date.now();
    const { store } = this.deps;
    if (this.abortReason === "stopping") {
      await this.persist(() => store.returnRun(this.lease, "node_stopping", now));
    } else if (this.abortReason === "emergency") {
      await this.persist(() => store.returnRun(this.lease, "emergency_stop", now));
    } else if (this.abortReason) {
      return; // cancelled or lost: the run is no longer ours to write
    } else if (this.failure?.kind === "retry") {
      const at = now + this.failure.delayMs;
      await this.persist(() => store.rescheduleRun(this.lease, at, "retry_scheduled", now));
    } else if (this.failure?.kind === "quarantine") {
      const { reason, error } = this.failure;
      await this.persist(() => store.quarantineRun(this.lease, reason, error, now));
    } else if (this.done.size < this.pipeline.steps.length) {
      // the emergency stop held back the remaining steps: give the run back as it is
      await this.persist(() => store.returnRun(this.lease, "emergency_stop", now));
    }
  }

  /**
   * A write that failed because the disk is full is held here, in memory, and tried again with
   * backoff until space returns: a finished step is never thrown away for want of disk. Any other
   * error ends the execution (see execute()). A forced stop gives up waiting.
   */
  private async persist<T>(write: () => Promise<T>): Promise<T> {
    let delay = 25;
    let warned = false;
    for (;;) {
      try {
        const result = await write();
        if (warned) this.log.warn("disk space is back: held write committed");
        return result;
      } catch (error) {
        if ((error as { code?: unknown }).code !== "store_full" || this.abortReason === "stopping")
          throw error;
        if (!warned)
          this.log.warn(
            { err: error },
            "disk full: holding the write and retrying until space returns",
          );
        warned = true;
        this.deps.onStorageFull?.();
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 100);
      }
    }
  }

  private inputFor(step: AnyStep): unknown {
    if (step.after.length === 0) return this.run.input;
    return Object.fromEntries(step.after.map((dep) => [dep, this.done.get(dep)]));
  }

  private runOutput(): JsonValue {
    return Object.fromEntries(this.pipeline.shape.sinks.map((s) => [s, this.done.get(s) ?? null]));
  }

  private policyFor(step: AnyStep): RetryPolicy {
    return resolveRetryPolicy(
      resolveRetryPolicy(this.deps.retry, this.pipeline.options.retry),
      step.retry,
    );
  }
}
