import type { JsonValue } from "../core/canonical-json.js";
import type { StepRecording } from "../core/determinism/recording.js";
import { outputHash } from "../core/determinism/volatile.js";
import { readySteps } from "../core/dag.js";
import { samePlacement, type Placement } from "../core/placement.js";
import { BreakerOpenError } from "../core/errors/breaker-open-error.js";
import { KeelErrorCode } from "../core/errors/codes.js";
import { classifyError } from "../core/errors/classify.js";
import { LeaseLostError } from "../core/errors/run-errors.js";
import { TransientError } from "../core/errors/transient-error.js";
import type { AnyStep, Pipeline } from "../core/pipeline.js";
import { resolveRetryPolicy, type RetryPolicy } from "../core/retry.js";
import type { ErrorInfo, Lease, RunRecord } from "../store/records.js";
import type { ClaimedRun, StepStart, Store } from "../store/store.js";
import { decidedEvent, gateTurn, type GateEvent } from "./approval-gates.js";
import type { Admission, BreakerBoard } from "./breakers.js";
import { decideFailure, retriesExhausted, worseFailure, type Failure } from "./failure-decision.js";
import { writeHolding } from "./held-write.js";
import type { StoreReach } from "./store-reach.js";
import { isPoisoned } from "./isolation/poison.js";
import type { Logger } from "./logger.js";
import { RunStop } from "./run-stop.js";
import { runStep, type StepRunInput } from "./step-runner.js";
import type { CheckedReport } from "./step-progress.js";
import { untraced, type RunSpan, type StepSpan, type Tracing } from "./tracing.js";

/** A step's output, ready for its checkpoint. */
interface StepDone {
  step: AnyStep;
  attempt: number;
  output: JsonValue;
  startedAt: number;
  ms: number;
  /** served by the fallback, for this cause */
  degraded?: { cause: string };
  /** the step's start, when it is written with the checkpoint rather than on its own */
  start?: StepStart;
  /** what ctx.now() and ctx.fetch returned, for a replay */
  recorded?: StepRecording;
  /** an approval gate's step: who approved it */
  approvedBy?: string;
}

/** Why a fallback serves: an open breaker, or the step's retries ran out. */
interface FallbackCause {
  from: "pending" | "failed";
  cause: Error;
  causeCode: string;
}

/**
 * Executes one claimed run: its ready steps in parallel, a checkpoint per finished step, and at
 * the end exactly one of: succeeded (with the last checkpoint), rescheduled, quarantined, deferred
 * by an open breaker, or given back. Steps already checkpointed are never run again. A step's
 * fallback serves (a degraded checkpoint) while its breaker is open or once its retries run out.
 */
export type AbortReason = "cancelled" | "lease_lost" | "stopping" | "emergency" | "drained";

export interface StepEvent {
  runId: string;
  pipeline: string;
  step: string;
  status: "running" | "succeeded" | "failed";
  attempt: number;
  /** the run's trace id: the step duration's exemplar carries it */
  traceId: string;
  ms?: number;
  error?: ErrorInfo;
}

/** How a run ended on this node: null when it left otherwise (retry scheduled, given back, lost). */
export type RunEnd = {
  status: "succeeded" | "quarantined";
  quarantineReason: string | null;
} | null;

export interface ExecutionDeps {
  store: Store;
  log: Logger;
  retry: RetryPolicy;
  /** true while the emergency stop is on: start no further step */
  halted: () => boolean;
  /** the breakers of the steps' dependencies */
  breakers: Pick<BreakerBoard, "admit" | "report">;
  /** a write is being held because the disk is full */
  onStorageFull?: () => void;
  /** the node's view of its store's reach: held writes are counted there */
  reach?: StoreReach;
  onStep: (event: StepEvent) => void;
  onProgress: (runId: string, bytes: number) => void;
  /** a store write of the run committed, after this many ms (the attempt that succeeded) */
  onWrite?: (ms: number) => void;
  /** a step's `ctx.progress({...})` report */
  onReport?: (step: string, attempt: number, report: CheckedReport) => void;
  /** spans of the run and its steps; none recorded by default */
  tracing?: Tracing;
  nodeId?: string;
  /** runs one step attempt; the node routes isolated steps to its process pool */
  runStep?: typeof runStep;
  /** worker crashes of one run before it is quarantined as `poison` (isolation.poison_after) */
  poisonAfter?: number;
  /** the run's last write is queued: its slot is free for the next claim */
  onFinishing?: () => void;
  /** an approval gate opened, or its decision was applied */
  onGate?: (event: GateEvent) => void;
}

export class RunExecution {
  readonly run: RunRecord;
  readonly lease: Lease;
  readonly claimedAt = Date.now();
  private readonly stopSwitch = new RunStop();
  private readonly done = new Map<string, JsonValue>();
  private readonly stepAttempts: Record<string, number>;
  private runLog: Logger | undefined;
  private failure: Failure | undefined;
  /** the first breaker that held a step back: the run waits for it */
  private deferral: Extract<Admission, { ok: false }> | undefined;
  /** the first approval gate reached with no decision: the run waits there, off the node */
  private gateWait: AnyStep | undefined;
  private abortReason: AbortReason | undefined;
  private finished = false;
  private finishing = false;
  private end: RunEnd = null;
  /** how the run left this node, for its "run ended" log line */
  private outcome = "given_back";
  private readonly checkpointWrites = new Set<Promise<void>>();
  private span: RunSpan | undefined;
  /** where the run was claimed for: the steps it runs here */
  private readonly placement: Placement;
  /** the next ready step's placement, when only steps placed elsewhere are left ready */
  private handOff: Placement | undefined;

  constructor(
    claimed: ClaimedRun,
    private readonly pipeline: Pipeline,
    private readonly deps: ExecutionDeps,
  ) {
    this.run = claimed.run;
    this.lease = claimed.lease;
    this.placement = claimed.placement;
    this.stepAttempts = { ...claimed.run.stepAttempts };
    for (const cp of claimed.checkpoints) this.done.set(cp.step, cp.output);
  }

  /** the run's logger, bound to its ids (runId, traceId, pipeline); made on first use */
  private get log(): Logger {
    return (this.runLog ??= this.deps.log.child({
      runId: this.run.id,
      traceId: this.run.traceId,
      pipeline: this.run.pipeline,
    }));
  }

  /** the end this execution wrote, once execute() settled */
  get ended(): RunEnd {
    return this.end;
  }

  /** true once the run's final write is queued: it runs no step any more and needs no slot */
  get winding(): boolean {
    return this.finishing || this.finished;
  }

  /** the pool whose slot the run takes on this node ("" the default) */
  get placedIn(): string {
    return this.placement.pool;
  }

  /** true once the run's final write is committed: a heartbeat no longer needs to find it */
  get settled(): boolean {
    return this.finished;
  }

  abort(reason: AbortReason): void {
    if (this.abortReason || this.finished) return;
    this.abortReason = reason;
    this.stopSwitch.stop(new TransientError(`run ${this.run.id} stopped: ${reason}`, reason));
  }

  async execute(): Promise<void> {
    const clock = performance.now();
    // every run says when it starts and how it ends, at info: a trace id always finds its run. The
    // run's child logger is made only when info is on (a node at warn pays nothing per run)
    const logEnds = this.deps.log.isLevelEnabled("info");
    if (logEnds) this.log.info({ attempts: this.run.attempts }, "run started");
    const span = (this.span = (this.deps.tracing ?? untraced).startRun(
      this.run,
      this.deps.nodeId ?? "",
    ));
    try {
      await this.runSteps();
      await this.settle();
    } catch (error) {
      this.outcome = error instanceof LeaseLostError ? "lease_lost" : "store_write_failed";
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
      span.end(
        this.outcome,
        this.failure?.kind === "quarantine" ? this.failure.error.message : undefined,
      );
      if (logEnds)
        this.log.info(
          { outcome: this.outcome, ms: Math.round(performance.now() - clock) },
          "run ended",
        );
    }
  }

  private async runSteps(): Promise<void> {
    const nodes = this.pipeline.steps;
    const inFlight = new Map<string, Promise<void>>();
    for (;;) {
      if (!this.failure && !this.deferral && !this.abortReason && !this.deps.halted()) {
        for (const name of readySteps(nodes, this.done, inFlight)) {
          const step = nodes.find((s) => s.name === name) as AnyStep;
          // a gate with no decision stays ready: the run waits there once nothing else runs
          if (step === this.gateWait) continue;
          // a step placed elsewhere waits: the run is handed on once nothing placed here is left
          if (!samePlacement(step.placement, this.placement)) {
            this.handOff ??= step.placement;
            continue;
          }
          const task = this.runOne(step).finally(() => inFlight.delete(name));
          inFlight.set(name, task);
        }
      }
      if (inFlight.size === 0) return;
      this.handOff = undefined;
      // a failing task rejects only on store errors: let them end the run's execution
      await Promise.race(inFlight.values());
    }
  }

  private async runOne(step: AnyStep): Promise<void> {
    const failed = this.stepAttempts[step.name] ?? 0;
    const attempt = failed + 1;
    const from = failed > 0 ? "failed" : "pending";
    let gateFn: StepRunInput["fn"];
    let approvedBy: string | undefined;
    if (step.approval) {
      const turn = await this.persist(() =>
        gateTurn(this.deps.store, this.lease, step, Date.now()),
      );
      if (turn.kind === "wait") {
        this.gateWait ??= step;
        return;
      }
      ({ fn: gateFn, approvedBy } = turn);
      this.deps.onGate?.(decidedEvent(this.run.id, turn.gate));
    }
    if (step.uses.length > 0) {
      const admission = await this.deps.breakers.admit(step.uses, Date.now());
      if (!admission.ok) {
        await this.waitForBreaker(step, attempt, from, admission);
        return;
      }
    }
    const startedAt = Date.now();
    // The start is written on its own only for a step still running a turn later; a step done
    // sooner (most are) has its start written with its outcome: one fenced write, not two.
    let startWrite: Promise<void> | undefined;
    const timer = setImmediate(() => {
      if (this.abortReason) return;
      startWrite = this.persist(() =>
        this.deps.store.startStep(this.lease, step.name, attempt, from, startedAt),
      ).then(
        () => this.emitStep(step, "running", attempt),
        (error: unknown) => {
          // another node holds the run now: stop the step rather than finish it for nothing
          if (error instanceof LeaseLostError) this.abort("lease_lost");
          throw error;
        },
      );
      startWrite.catch(() => {}); // rethrown below, once the step has returned
    });
    const clock = performance.now();
    const stepSpan = this.startSpan(step, attempt);
    let outcome: Awaited<ReturnType<typeof runStep>>;
    try {
      const request = this.stepRequest(step, attempt, stepSpan);
      outcome = await (this.deps.runStep ?? runStep)(gateFn ? { ...request, fn: gateFn } : request);
    } finally {
      clearImmediate(timer);
    }
    if (this.abortReason) stepSpan.fail(`run stopped: ${this.abortReason}`);
    else if (!outcome.ok) stepSpan.fail(outcome.error.message);
    stepSpan.end();
    if (startWrite) await startWrite;
    else this.emitStep(step, "running", attempt);
    const start: StepStart | undefined = startWrite ? undefined : { from, at: startedAt };
    if (this.abortReason) return;
    const ms = Math.round((performance.now() - clock) * 1000) / 1000;
    if (outcome.ok) {
      if (step.uses.length > 0) await this.deps.breakers.report(step.uses, { ok: true });
      const { output, recorded } = outcome;
      await this.checkpoint({ step, attempt, output, startedAt, ms, start, recorded, approvedBy });
      return;
    }
    const cls = classifyError(outcome.error);
    if (step.uses.length > 0 && cls.retryable) {
      const held = await this.deps.breakers.report(step.uses, {
        ok: false,
        code: cls.code,
        message: outcome.error.message,
      });
      // the failure opened a breaker, or was a half-open trial: the outage, not this run, failed
      if (!held.ok) {
        this.emitStep(step, "failed", attempt, { ms, error: errorInfo(step, outcome.error, cls) });
        this.log.warn(
          { step: step.name, attempt, breaker: held.breaker, err: outcome.error },
          "step failed with its dependency's breaker open; the run waits for it, spending no attempt",
        );
        await this.waitForBreaker(step, attempt, from, held);
        return;
      }
    }
    const next = await this.recordFailure(step, attempt, { error: outcome.error, ms, start });
    this.span?.event(next.kind === "retry" ? "retry scheduled" : "quarantine", {
      "keel.step": step.name,
      "keel.attempt": attempt,
      ...(next.kind === "retry" ? { "keel.retry_delay_ms": next.delayMs } : {}),
    });
    if (retriesExhausted(next) && step.fallback) {
      const causeCode = `${next.reason}:${next.error.code}`;
      const fallback = { from: "failed", cause: outcome.error, causeCode } as const;
      if (await this.serveFallback(step, attempt, fallback)) return;
    }
    this.failure = worseFailure(this.failure, next);
  }

  /** Serves the step's fallback, or else defers the run until the breaker lets a trial through. */
  private async waitForBreaker(
    step: AnyStep,
    attempt: number,
    from: "pending" | "failed",
    refusal: Extract<Admission, { ok: false }>,
  ): Promise<void> {
    const cause = new BreakerOpenError(refusal.breaker, refusal.reason);
    this.span?.event("breaker wait", { "keel.step": step.name, "keel.breaker": refusal.breaker });
    const served = await this.serveFallback(step, attempt, { from, cause, causeCode: cause.code });
    // no fallback, or it failed too: the run waits for the breaker, spending no attempt
    if (!served) this.deferral ??= refusal;
  }

  /**
   * Runs the step's fallback in place of the step; its output is checkpointed marked degraded.
   * false when there is none, or it failed (the caller then defers or quarantines the run).
   */
  private async serveFallback(
    step: AnyStep,
    attempt: number,
    { from, cause, causeCode }: FallbackCause,
  ): Promise<boolean> {
    const fallback = step.fallback;
    if (!fallback) return false;
    const startedAt = Date.now();
    const clock = performance.now();
    const stepSpan = this.startSpan(step, attempt);
    stepSpan.event("fallback", { "keel.cause": causeCode });
    const outcome = await runStep({
      ...this.stepRequest(step, attempt, stepSpan),
      fn: (ctx, input) => fallback(ctx, input, cause),
    });
    if (!outcome.ok) stepSpan.fail(outcome.error.message);
    stepSpan.end();
    if (this.abortReason) return true;
    if (!outcome.ok) {
      this.log.warn(
        { step: step.name, attempt, cause: causeCode, err: outcome.error },
        "the step's fallback failed too",
      );
      return false;
    }
    // written once the fallback succeeded: a failed fallback leaves no trace of a start
    await this.persist(() =>
      this.deps.store.startStep(this.lease, step.name, attempt, from, startedAt),
    );
    const ms = Math.round((performance.now() - clock) * 1000) / 1000;
    const degraded = { cause: causeCode };
    const { output, recorded } = outcome;
    await this.checkpoint({ step, attempt, output, startedAt, ms, degraded, recorded });
    return true;
  }

  private async checkpoint(done: StepDone): Promise<void> {
    const { step, attempt, output, startedAt, ms, degraded, start, recorded, approvedBy } = done;
    // decided synchronously, so two sibling steps finishing together cannot both miss being last
    const last = !this.failure && this.done.size + 1 === this.pipeline.steps.length;
    this.done.set(step.name, output);
    const checkpoint = {
      step: step.name,
      output,
      outputHash: outputHash(output, step.volatile),
      attempt,
      startedAt,
      finishedAt: Date.now(),
      ...(degraded ? { degraded } : {}),
      ...(start ? { start } : {}),
      ...(recorded ? { recorded } : {}),
      ...(approvedBy !== undefined ? { approvedBy } : {}),
    };
    if (last) {
      // the run may succeed only after every sibling checkpoint is committed
      await Promise.allSettled(this.checkpointWrites);
      await this.finalWrite(() =>
        this.deps.store.completeStep(this.lease, checkpoint, this.runOutput()),
      );
      this.finished = true;
      this.outcome = "succeeded";
      this.end = { status: "succeeded", quarantineReason: null };
    } else {
      const write = this.persist(() => this.deps.store.completeStep(this.lease, checkpoint));
      this.checkpointWrites.add(write);
      try {
        await write;
      } finally {
        this.checkpointWrites.delete(write);
      }
    }
    this.emitStep(step, "succeeded", attempt, { ms });
  }

  private async recordFailure(
    step: AnyStep,
    attempt: number,
    { error, ms, start }: { error: Error; ms: number; start: StepStart | undefined },
  ): Promise<Failure> {
    const cls = classifyError(error);
    const info = errorInfo(step, error, cls);
    this.stepAttempts[step.name] = attempt;
    const stepAttempts = { ...this.stepAttempts };
    await this.persist(() =>
      this.deps.store.recordStepFailure(this.lease, {
        step: step.name,
        attempt,
        error: info,
        stepAttempts,
        at: Date.now(),
        ...(start ? { start } : {}),
      }),
    );
    this.emitStep(step, "failed", attempt, { ms, error: info });
    this.log.warn({ step: step.name, attempt, code: cls.code, err: error }, "step attempt failed");
    const next = decideFailure({ cls, error, info, attempt, policy: this.policyFor(step) });
    // a run that keeps killing its worker process is not retried once more: poison
    if (
      next.kind === "retry" &&
      cls.code === KeelErrorCode.workerCrashed &&
      (await isPoisoned(this.deps.store, this.run.id, this.deps.poisonAfter))
    )
      return { kind: "quarantine", reason: "poison", error: info };
    return next;
  }

  private emitStep(
    step: AnyStep,
    status: StepEvent["status"],
    attempt: number,
    extra: Pick<StepEvent, "ms" | "error"> = {},
  ): void {
    this.deps.onStep({
      runId: this.run.id,
      pipeline: this.run.pipeline,
      step: step.name,
      status,
      attempt,
      traceId: this.run.traceId,
      ...extra,
    });
  }

  private startSpan(step: AnyStep, attempt: number): StepSpan {
    return (this.span ?? untraced.startRun(this.run, "")).startStep(step.name, attempt);
  }

  private stepRequest(step: AnyStep, attempt: number, span: StepSpan): StepRunInput {
    return {
      step,
      runId: this.run.id,
      traceId: this.run.traceId,
      // read only if the step reads ctx.traceparent
      get traceparent() {
        return span.traceparent;
      },
      pipeline: this.run.pipeline,
      attempt,
      runInput: this.run.input,
      seed: this.run.seed,
      input: this.inputFor(step),
      timeoutMs: step.timeout ?? this.pipeline.options.timeout,
      runStop: this.stopSwitch,
      log: () => this.log.child({ step: step.name, attempt }),
      onProgress: (bytes) => this.deps.onProgress(this.run.id, bytes),
      onReport: (report) => this.deps.onReport?.(step.name, attempt, report),
    };
  }

  private async settle(): Promise<void> {
    const now = Date.now();
    const { store } = this.deps;
    if (this.abortReason === "stopping") {
      this.outcome = "node_stopping";
      await this.finalWrite(() => store.returnRun(this.lease, "node_stopping", now));
    } else if (this.abortReason === "drained") {
      this.outcome = "drain_timeout";
      await this.finalWrite(() => store.returnRun(this.lease, "drain_timeout", now));
    } else if (this.abortReason === "emergency") {
      this.outcome = "emergency_stop";
      await this.finalWrite(() => store.returnRun(this.lease, "emergency_stop", now));
    } else if (this.abortReason) {
      this.outcome = this.abortReason;
      return; // cancelled or lost: the run is no longer ours to write
    } else if (this.failure?.kind === "retry") {
      const at = now + this.failure.delayMs;
      this.outcome = "retry_scheduled";
      await this.finalWrite(() => store.rescheduleRun(this.lease, at, "retry_scheduled", now));
    } else if (this.failure?.kind === "quarantine") {
      const { reason, error } = this.failure;
      this.outcome = `quarantined:${reason}`;
      await this.finalWrite(() => store.quarantineRun(this.lease, reason, error, now));
      this.end = { status: "quarantined", quarantineReason: reason };
    } else if (this.deferral) {
      const { breaker, until } = this.deferral;
      this.outcome = `breaker_open:${breaker}`;
      await this.finalWrite(() => store.deferRun(this.lease, breaker, until, now));
    } else if (this.gateWait?.approval) {
      await this.waitAtGate(this.gateWait, now);
    } else if (this.handOff && !this.deps.halted()) {
      const placement = this.handOff;
      this.outcome = "handed_off";
      await this.finalWrite(() => store.handOffRun(this.lease, placement, now));
    } else if (this.done.size < this.pipeline.steps.length) {
      // the emergency stop held back the remaining steps: give the run back as it is
      this.outcome = "emergency_stop";
      await this.finalWrite(() => store.returnRun(this.lease, "emergency_stop", now));
    }
  }

  /** The run leaves the node to wait at the gate, due at its timeout (store.openGate). */
  private async waitAtGate(step: AnyStep, now: number): Promise<void> {
    const { timeoutMs, onTimeout } = step.approval as NonNullable<AnyStep["approval"]>;
    const opening = { gate: step.name, pipeline: this.run.pipeline, timeoutMs, onTimeout };
    this.outcome = `gate_open:${step.name}`;
    const gate = await this.finalWrite(() => this.deps.store.openGate(this.lease, opening, now));
    const first = gate.openedAt === now;
    this.log.info(
      { gate: step.name, openedAt: gate.openedAt, timeoutAt: gate.timeoutAt, onTimeout },
      first
        ? "approval gate opened: the run waits for a decision"
        : "the run waits at its approval gate",
    );
    if (first)
      this.deps.onGate?.({
        runId: this.run.id,
        pipeline: this.run.pipeline,
        gate: step.name,
        status: "open",
        waitedMs: 0,
        timedOut: false,
      });
  }

  /**
   * The run's last write. Once it is queued the run executes nothing more, so the node may claim
   * the next run for its slot at once: that claim then shares the write's commit.
   */
  private finalWrite<T>(write: () => Promise<T>): Promise<T> {
    const written = this.persist(write);
    this.finishing = true;
    this.deps.onFinishing?.();
    return written;
  }

  /** Store writes of the run: held and retried while the disk is full or the store file is being repaired (held-write.ts). */
  private persist<T>(write: () => Promise<T>): Promise<T> {
    let release: (() => void) | undefined;
    const onWrite = this.deps.onWrite;
    const timed = onWrite
      ? async () => {
          const start = performance.now();
          const result = await write();
          onWrite(performance.now() - start);
          return result;
        }
      : write;
    return writeHolding(timed, {
      log: () => this.log,
      givingUp: () => this.abortReason === "stopping",
      onHeld: (code, error) => {
        if (code === KeelErrorCode.storeFull) this.deps.onStorageFull?.();
        if (this.deps.reach?.failed(error)) release ??= this.deps.reach.hold();
      },
      onDone: (written) => {
        if (!release) return;
        release();
        if (written) this.deps.reach?.reached();
      },
    });
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

function errorInfo(step: AnyStep, error: Error, cls: ReturnType<typeof classifyError>): ErrorInfo {
  return {
    code: cls.code,
    message: error.message,
    step: step.name,
    retryable: cls.retryable,
    stack: error.stack?.split("\n").slice(0, 8).join("\n"),
  };
}
