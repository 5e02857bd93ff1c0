import { checkDag, downstreamOf, type DagNode } from "../core/dag.js";
import {
  InvalidInputError,
  NotFoundError,
  UnknownPipelineError,
} from "../core/errors/definition-errors.js";
import type { PurgeResult, RetryResult } from "../store/operator-requests.js";
import type { Store } from "../store/store.js";
import type { PipelineRegistry } from "./registry.js";

/**
 * The checks in front of the store's operator writes: a retry names a real step of the run's
 * pipeline and carries a note; a purge says what it purges. The store then applies each change
 * in one transaction with its audit entry.
 */
export interface RetryOptions {
  /** run this step and everything downstream of it again; upstream checkpoints are kept */
  fromStep?: string;
  /** why the run may succeed now ("fixed the permissions"); required */
  note: string;
  actor?: string;
  /** also run again every step a fallback served (degraded), and everything downstream of it */
  redoDegraded?: boolean;
  /** false: no audit entry of its own (a bulk retry writes one for all its runs) */
  audit?: boolean;
}

export interface PurgeOptions {
  /** only runs quarantined before this time (a Date or epoch ms) */
  olderThan?: Date | number;
  /** only runs quarantined with exactly this reason, e.g. `permanent:parse_error` */
  reason?: string;
  /** every quarantined run; required when neither olderThan nor reason is given */
  all?: boolean;
  /** only these runs of those the filter matches (a dry run's ids: nothing it did not list goes) */
  ids?: readonly string[];
  /** count and list, delete nothing */
  dryRun?: boolean;
  actor?: string;
}

/** The step graph of a pipeline: this process's definition, else the one a node stored. */
export async function pipelineSteps(
  store: Store,
  registry: PipelineRegistry,
  name: string,
): Promise<DagNode[] | undefined> {
  const local = registry.get(name);
  if (local) return local.steps.map((s) => ({ name: s.name, after: [...s.after] }));
  return (await store.listPipelines()).find((p) => p.name === name)?.steps;
}

export async function retryRun(
  store: Store,
  registry: PipelineRegistry,
  runId: string,
  options: RetryOptions,
  now: number,
): Promise<RetryResult> {
  const note = typeof options?.note === "string" ? options.note.trim() : "";
  if (!note)
    throw new InvalidInputError(
      'a retry needs a note saying what changed, e.g. "fixed the folder\'s permissions"',
      { field: "note" },
    );
  const run = await store.getRun(runId);
  if (!run) throw new NotFoundError("run", runId);
  const { fromStep, redoDegraded } = options;
  let clearSteps: string[] = [];
  if (fromStep !== undefined || redoDegraded) {
    const steps = await pipelineSteps(store, registry, run.pipeline);
    if (!steps) {
      const known = [...registry.names(), ...(await store.listPipelines()).map((p) => p.name)];
      throw new UnknownPipelineError(run.pipeline, [...new Set(known)].sort());
    }
    if (fromStep !== undefined && !steps.some((s) => s.name === fromStep))
      throw new InvalidInputError(
        `pipeline "${run.pipeline}" has no step "${fromStep}"; its steps are: ${steps.map((s) => s.name).join(", ")}`,
        { field: "fromStep", steps: steps.map((s) => s.name) },
      );
    const shape = checkDag(run.pipeline, steps);
    const from = fromStep === undefined ? [] : [fromStep];
    if (redoDegraded) from.push(...(await degradedSteps(store, runId)));
    const clear = new Set(from.flatMap((s) => downstreamOf(shape, s)));
    clearSteps = shape.order.filter((s) => clear.has(s));
  }
  if (run.status === "succeeded" && clearSteps.length === 0) {
    throw new InvalidInputError(
      redoDegraded
        ? `run ${runId} succeeded with no degraded step, so there is nothing to redo`
        : `run ${runId} succeeded, so there is nothing to resume; name the step to run again from (fromStep, --from-step in the CLI)`,
      { field: redoDegraded ? "redoDegraded" : "fromStep", runId },
    );
  }
  return store.retryRun(runId, {
    fromStep,
    clearSteps,
    ...(redoDegraded ? { redoDegraded } : {}),
    note,
    actor: options.actor ?? "api",
    now,
    ...(options.audit === false ? { audit: false } : {}),
  });
}

/** The steps of a run whose checkpoint a fallback served. */
async function degradedSteps(store: Store, runId: string): Promise<string[]> {
  return (await store.listStepResults(runId)).filter((s) => s.degraded).map((s) => s.step);
}

export async function purgeQuarantined(
  store: Store,
  options: PurgeOptions,
  now: number,
): Promise<PurgeResult> {
  const olderThan =
    options.olderThan instanceof Date ? options.olderThan.getTime() : options.olderThan;
  if (olderThan !== undefined && !Number.isFinite(olderThan))
    throw new InvalidInputError("purge olderThan must be a valid Date or epoch milliseconds", {
      field: "olderThan",
    });
  if (options.reason !== undefined && !options.reason.trim())
    throw new InvalidInputError("purge reason must not be empty", { field: "reason" });
  const filtered = olderThan !== undefined || options.reason !== undefined;
  if (!filtered && options.all !== true)
    throw new InvalidInputError(
      "a purge needs a filter (olderThan, reason), or all: true to purge every quarantined run",
      { field: "all" },
    );
  if (filtered && options.all === true)
    throw new InvalidInputError(
      "all: true purges every quarantined run; it cannot be combined with olderThan or reason",
      { field: "all" },
    );
  return store.purgeRuns({
    status: "quarantined",
    olderThan,
    reason: options.reason,
    ids: options.ids,
    dryRun: options.dryRun ?? false,
    actor: options.actor ?? "api",
    now,
  });
}
