import { expect } from "vitest";
import type { KeelError } from "../../core/errors/keel-error.js";
import { encodeTime, newRunId, newTraceId } from "../../core/ids.js";
import type { RunStatus } from "../../core/status.js";
import type { ErrorInfo, RunRecord, StepResultRecord, TransitionRecord } from "../records.js";
import type { Checkpoint, ClaimRequest, ClaimedRun, NewRun, Store, StepFailure } from "../store.js";

/**
 * Shared fixtures of the store conformance suite. Nothing here knows the backend: every helper
 * goes through the Store interface only. Times are fixed epoch milliseconds, never the clock.
 */
export const NOW = 1_700_000_000_000;
export const LEASE_MS = 30_000;
export const NODE_A = "node-a";
export const NODE_B = "node-b";

/** The store of the running test, created fresh for each one. */
export interface StoreHandle {
  readonly store: Store;
}

let inputSeq = 0;
let pipelineSeq = 0;

/** A pipeline name no other run of the test uses: claiming it picks exactly the runs put there. */
export function soloPipeline(): string {
  pipelineSeq += 1;
  return `solo-${pipelineSeq}`;
}

export function newRun(overrides: Partial<NewRun> = {}): NewRun {
  inputSeq += 1;
  return {
    id: newRunId(),
    pipeline: "p1",
    pipelineVersion: "v1",
    input: { n: inputSeq },
    priority: 0,
    idempotencyKey: null,
    source: "test",
    traceId: newTraceId(),
    seed: 7,
    scheduledFor: NOW,
    createdAt: NOW,
    actor: "tester",
    ...overrides,
  };
}

/** A run id whose embedded creation time is `time` (ids are time-sortable, like newRunId()). */
export function runIdAt(time: number): string {
  return `run_${encodeTime(time)}${newRunId().slice(-16)}`;
}

export function only<T>(list: readonly T[]): T {
  expect(list).toHaveLength(1);
  return list[0] as T;
}

export async function submit(store: Store, overrides: Partial<NewRun> = {}): Promise<RunRecord> {
  const result = only(await store.submitRuns([newRun(overrides)]));
  expect(result.created).toBe(true);
  return result.run;
}

/** `count` runs in one call, in id order (oldest first). */
export async function submitMany(
  store: Store,
  count: number,
  overrides: Partial<NewRun> = {},
): Promise<RunRecord[]> {
  const runs = Array.from({ length: count }, () => newRun(overrides));
  const results = await store.submitRuns(runs);
  return results.map((r) => r.run);
}

export function claim(store: Store, request: Partial<ClaimRequest> = {}): Promise<ClaimedRun[]> {
  return store.claimRuns({
    nodeId: NODE_A,
    limit: 10,
    leaseMs: LEASE_MS,
    now: NOW,
    pipelines: ["p1"],
    ...request,
  });
}

/** Claims and expects exactly one run. */
export async function claimOne(
  store: Store,
  request: Partial<ClaimRequest> = {},
): Promise<ClaimedRun> {
  return only(await claim(store, { limit: 1, ...request }));
}

/** A fresh run, claimed: the only run of its own pipeline. */
export async function claimedRun(
  store: Store,
  request: Partial<ClaimRequest> = {},
  run: Partial<NewRun> = {},
): Promise<ClaimedRun> {
  const pipeline = run.pipeline ?? soloPipeline();
  const submitted = await submit(store, { ...run, pipeline });
  const claimed = await claimOne(store, {
    pipelines: [pipeline],
    now: Math.max(NOW, submitted.scheduledFor),
    ...request,
  });
  expect(claimed.run.id).toBe(submitted.id);
  return claimed;
}

export function checkpoint(step: string, overrides: Partial<Checkpoint> = {}): Checkpoint {
  return {
    step,
    output: { from: step },
    outputHash: `hash-of-${step}`,
    attempt: 1,
    startedAt: NOW + 100,
    finishedAt: NOW + 200,
    ...overrides,
  };
}

export function errorInfo(code: string, step = "a"): ErrorInfo {
  return {
    code,
    message: `${code} happened`,
    step,
    retryable: true,
    stack: `Error: ${code}\n    at test`,
  };
}

export function failure(
  step: string,
  attempt: number,
  at: number,
  code = "econnreset",
): StepFailure {
  return { step, attempt, error: errorInfo(code, step), stepAttempts: { [step]: attempt }, at };
}

/** A run in the given status, alone in its own pipeline. */
export async function runInStatus(
  store: Store,
  status: RunStatus,
  options: { quarantineReason?: string; run?: Partial<NewRun> } = {},
): Promise<RunRecord> {
  const pipeline = options.run?.pipeline ?? soloPipeline();
  if (status === "pending") return submit(store, { ...options.run, pipeline });
  if (status === "cancelled") {
    const run = await submit(store, { ...options.run, pipeline });
    return store.cancelRun(run.id, { reason: "test", actor: "tester", at: NOW + 1 });
  }
  const { lease } = await claimedRun(store, {}, { ...options.run, pipeline });
  if (status === "succeeded") await store.completeStep(lease, checkpoint("a"), { done: true });
  if (status === "quarantined") {
    const reason = options.quarantineReason ?? "max_attempts";
    await store.quarantineRun(lease, reason, errorInfo(reason), NOW + 300);
  }
  const after = await store.getRun(lease.runId);
  expect(after?.status).toBe(status);
  return after as RunRecord;
}

export interface RunSnapshot {
  run: RunRecord | undefined;
  steps: StepResultRecord[];
  transitions: TransitionRecord[];
}

/** Everything the store keeps about one run: compared before and after a refused write. */
export async function snapshot(store: Store, runId: string): Promise<RunSnapshot> {
  return {
    run: await store.getRun(runId),
    steps: await store.listStepResults(runId),
    transitions: await store.listTransitions(runId),
  };
}

/** The rejection of `promise`, checked to be a `type` with the stable `code`. */
export async function expectKeelError<E extends KeelError>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
  code: string,
): Promise<E> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  if (caught === undefined)
    expect.fail(`expected a ${type.name} (${code}), but the call succeeded`);
  expect(caught).toBeInstanceOf(type);
  expect((caught as E).code).toBe(code);
  return caught as E;
}

/** Resolves when `subscribe`'s listener is called; rejects after `ms`. */
export function calledWithin(
  subscribe: (listener: () => void) => () => void,
  ms = 2000,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let unsubscribe: (() => void) | undefined;
    const timer = setTimeout(() => {
      unsubscribe?.();
      reject(new Error(`listener not called within ${ms} ms`));
    }, ms);
    unsubscribe = subscribe(() => {
      clearTimeout(timer);
      unsubscribe?.();
      resolve();
    });
  });
}
