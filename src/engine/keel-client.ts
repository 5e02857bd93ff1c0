import { EventEmitter } from "node:events";
import { toJsonData, NotJsonError } from "../core/canonical-json.js";
import type { DagNode } from "../core/dag.js";
import {
  InvalidInputError,
  NotFoundError,
  UnknownPipelineError,
} from "../core/errors/definition-errors.js";
import { KeelError } from "../core/errors/keel-error.js";
import { newRunId, newSeed, newTraceId } from "../core/ids.js";
import { checkRunInput, type InputSchemas } from "../core/input-schema.js";
import { isPipeline, type Pipeline, type PipelineInput } from "../core/pipeline.js";
import { terminalRunStatuses } from "../core/status.js";
import { openStore } from "../store/open-store.js";
import type { StepResultRecord } from "../store/records.js";
import { checkPlacement, nextPlacement, type Placement } from "../core/placement.js";
import type { NewRun, RunPage, RunQuery, Store } from "../store/store.js";
import { runningSteps } from "./running-steps.js";
import type { KeelOptions } from "./keel-options.js";
import { createLogger, type Logger } from "./logger.js";
import type { NodeEvents } from "./node-events.js";
import { pipelineSteps } from "./operator-actions.js";
import { PipelineRegistry } from "./registry.js";
import { checkSubmitOptions, type SubmitOptions } from "./submit-options.js";
import { inTimeOrder } from "./transition-order.js";
import {
  runIdOf,
  type OutputOf,
  type RefOutput,
  type RunDetails,
  type RunRef,
  type SubmittedRun,
  type TypedRun,
} from "./typed-run.js";

export type { RunDetails, RunId, RunRef, SubmittedRun, TypedRun } from "./typed-run.js";

/**
 * The library client: submit runs and read them back (get, inspect, list, wait) on the store, with
 * or without a node in this process. The operator facade (keel-operator.ts) and the node's
 * lifecycle (keel.ts) build on it; `Keel` is all three.
 */
export class KeelClient extends EventEmitter<NodeEvents> {
  readonly store: Store;
  readonly log: Logger;
  protected readonly registry = new PipelineRegistry();
  /** false for a store handed in: whoever opened it closes it */
  protected readonly ownsStore: boolean;

  constructor(options: KeelOptions = {}) {
    super();
    this.setMaxListeners(0);
    this.log = options.logger ?? createLogger();
    this.ownsStore = !options.store;
    this.store = options.store ?? openStore({ home: options.home, durability: options.durability });
    if (this.store.schemaWarning)
      this.log.warn({ code: "store_schema_ahead" }, this.store.schemaWarning);
  }

  async submit<P extends Pipeline>(
    pipeline: P | string,
    input: PipelineInput<P>,
    options: SubmitOptions = {},
  ): Promise<SubmittedRun<OutputOf<P>>> {
    const [result] = await this.submitMany(pipeline, [input], options);
    return result as SubmittedRun<OutputOf<P>>;
  }

  /** Many runs in one transaction: all are stored, or none. */
  async submitMany<P extends Pipeline>(
    pipeline: P | string,
    inputs: PipelineInput<P>[],
    options: SubmitOptions = {},
  ): Promise<SubmittedRun<OutputOf<P>>[]> {
    const { name, version, placement } = await this.resolvePipeline(pipeline);
    const opts = checkSubmitOptions(options);
    if (opts.idempotencyKey !== null && inputs.length > 1)
      throw new InvalidInputError(
        "idempotencyKey applies to one run; submit runs one by one to give each its key",
        { field: "idempotencyKey" },
      );
    // the schemas of the definition at hand; a pipeline known only by name from the store has none
    const definition = isPipeline(pipeline) ? pipeline : this.registry.get(name);
    const checked = definition
      ? await Promise.all(inputs.map((input) => checkRunInput(schemasOf(definition), input)))
      : inputs;
    const now = Date.now();
    const runs: NewRun[] = checked.map((input, i) => ({
      id: newRunId(),
      pipeline: name,
      pipelineVersion: version,
      input: checkInput(input, inputs.length > 1 ? i : undefined),
      priority: opts.priority,
      idempotencyKey: opts.idempotencyKey,
      source: opts.source,
      traceId: opts.traceparent?.parent.traceId ?? newTraceId(),
      ...(opts.traceparent ? { traceParent: opts.traceparent.header } : {}),
      seed: newSeed(),
      scheduledFor: opts.at ?? now,
      createdAt: now,
      actor: opts.actor,
      placement,
    }));
    // the store's work hint wakes this instance's node (and only when a run was created)
    const results = await this.store.submitRuns(runs);
    for (const r of results)
      this.emit("submitted", { runId: r.run.id, pipeline: r.run.pipeline, created: r.created });
    return results.map((r) => ({ ...r.run, created: r.created }) as SubmittedRun<OutputOf<P>>);
  }

  /** The run, its output typed by the pipeline `ref` came from (a submitted run or its id). */
  async get<R extends RunRef<unknown>>(ref: R): Promise<TypedRun<RefOutput<R>> | undefined> {
    return (await this.store.getRun(runIdOf(ref))) as TypedRun<RefOutput<R>> | undefined;
  }

  async inspect<R extends RunRef<unknown>>(ref: R): Promise<RunDetails<RefOutput<R>>> {
    const id = runIdOf(ref);
    const run = (await this.store.getRun(id)) as TypedRun<RefOutput<R>> | undefined;
    if (!run) throw new NotFoundError("run", id);
    const [steps, transitions, graph, progress] = await Promise.all([
      this.store.listStepResults(id),
      this.store.listTransitions(id),
      this.pipelineSteps(run.pipeline),
      this.store.listProgress(id),
    ]);
    const ordered = inTimeOrder(transitions);
    return {
      run,
      steps: inDeclaredOrder(steps, graph),
      transitions: ordered,
      progress,
      running: runningSteps(run.status, ordered, progress, Date.now()),
    };
  }

  async list(query: Partial<RunQuery> = {}): Promise<RunPage> {
    return this.store.listRuns({ ...query, limit: query.limit ?? 50 });
  }

  /** A pipeline's steps: as registered here, else as a node stored them; undefined if unknown. */
  async pipelineSteps(name: string): Promise<DagNode[] | undefined> {
    return pipelineSteps(this.store, this.registry, name);
  }

  /** Resolves when the run reaches succeeded, quarantined or cancelled; its output typed. */
  async wait<R extends RunRef<unknown>>(
    ref: R,
    options: { timeoutMs?: number; pollMs?: number } = {},
  ): Promise<TypedRun<RefOutput<R>>> {
    const id = runIdOf(ref);
    const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
    const pollMs = options.pollMs ?? 100;
    for (;;) {
      const run = await this.store.getRun(id);
      if (!run) throw new NotFoundError("run", id);
      if (terminalRunStatuses.has(run.status)) return run as TypedRun<RefOutput<R>>;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new KeelError(
          "wait_timeout",
          `run ${id} is still ${run.status} after ${options.timeoutMs} ms`,
          { details: { runId: id, status: run.status } },
        );
      await this.nextSettle(id, Math.min(pollMs, left));
    }
  }

  private nextSettle(id: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const onSettled = (e: { runId: string }): void => {
        if (e.runId === id) finish();
      };
      const timer = setTimeout(() => finish(), ms);
      const finish = (): void => {
        clearTimeout(timer);
        this.off("settled", onSettled);
        resolve();
      };
      this.on("settled", onSettled);
    });
  }

  private async resolvePipeline(
    pipeline: Pipeline | string,
  ): Promise<{ name: string; version: string; placement: Placement }> {
    if (isPipeline(pipeline)) {
      if (!this.registry.get(pipeline.name)) this.registry.add(pipeline);
      return { ...pipeline, placement: nextPlacement(pipeline.steps, new Set()) };
    }
    if (typeof pipeline !== "string")
      throw new InvalidInputError("submit() takes a pipeline or a pipeline name");
    const local = this.registry.get(pipeline);
    if (local)
      return {
        name: local.name,
        version: local.version,
        placement: nextPlacement(local.steps, new Set()),
      };
    const known = await this.store.listPipelines();
    const found = known.find((p) => p.name === pipeline);
    if (!found)
      throw new UnknownPipelineError(
        pipeline,
        [...new Set([...this.registry.names(), ...known.map((p) => p.name)])].sort(),
      );
    // a pipeline only another node runs: placed from its record's steps
    const steps = found.steps.map((s) => ({
      ...s,
      placement: checkPlacement(s.name, s.requires, s.pool),
    }));
    return { name: found.name, version: found.version, placement: nextPlacement(steps, new Set()) };
  }
}

function schemasOf(p: Pipeline): InputSchemas {
  return { pipeline: p.name, input: p.options.input, steps: p.steps };
}

function checkInput(input: unknown, index: number | undefined): ReturnType<typeof toJsonData> {
  try {
    return toJsonData(input);
  } catch (error) {
    if (error instanceof NotJsonError) {
      const where = index === undefined ? "" : ` (input #${index})`;
      throw new InvalidInputError(
        `run input${where} is not JSON data: ${error.message}`,
        { path: error.path },
        error,
      );
    }
    throw error;
  }
}

/**
 * Steps that started in the same millisecond (a fallback served at once, a fast step and its
 * successor) are listed in the pipeline's declared order rather than by name.
 */
function inDeclaredOrder(
  steps: StepResultRecord[],
  graph: DagNode[] | undefined,
): StepResultRecord[] {
  if (!graph) return steps;
  const index = new Map(graph.map((n, i) => [n.name, i]));
  const rank = (s: StepResultRecord) => index.get(s.step) ?? graph.length;
  return [...steps].sort((a, b) => a.startedAt - b.startedAt || rank(a) - rank(b));
}
