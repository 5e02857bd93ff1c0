import type { TracingOptions } from "./tracing.js";
import { hostname } from "node:os";
import { newNodeId } from "../core/ids.js";
import { defaultRetryPolicy, resolveRetryPolicy, type RetryPolicy } from "../core/retry.js";
import { InvalidInputError } from "../core/errors/definition-errors.js";
import type { ProcessIdentity } from "../store/records.js";
import { defaultPoisonAfter } from "./isolation/poison.js";
import { ownProcessIdentity } from "./process-identity.js";
import { checkWhole } from "./option-checks.js";
import {
  resolveClusterSettings,
  type ClusterSettings,
  type ResolvedClusterSettings,
} from "./cluster-options.js";
import {
  resolveDiskGuardSettings,
  type DiskGuardSettings,
  type ResolvedDiskGuardSettings,
} from "./disk-guard-options.js";
import {
  resolveRetentionSettings,
  type ResolvedRetentionSettings,
  type RetentionSettings,
} from "./retention-sweep.js";
import {
  resolveWorkerSettings,
  type ResolvedWorkerSettings,
  type WorkerSettings,
} from "./worker-options.js";

/**
 * A node's options, resolved once: given values over defaults, checked, frozen.
 */
/** `concurrency`, `minWorkers`, `maxWorkers`, `deferBelowPriority`: see worker-options.ts */
export interface NodeOptions extends WorkerSettings {
  /** how long a claim holds without a heartbeat: a dead node's runs return after this (ms) */
  leaseMs?: number;
  heartbeatMs?: number;
  /** the safety-net poll for work and expired leases (ms); wake-ups make it rarely matter */
  pollMs?: number;
  /**
   * how often the pids of other nodes on this host are looked up, without the store, so that a
   * dead one's runs return at once (ms; default 100); 0: only at each `pollMs` sweep
   */
  pidCheckMs?: number;
  retry?: Partial<RetryPolicy>;
  nodeId?: string;
  /** what this node offers: steps with `requires` run only on nodes offering all of it */
  capabilities?: string[];
  /** the cluster: host identity, join token, pools, liveness windows (cluster-options.ts) */
  cluster?: ClusterSettings;
  /** steps with `isolation: "process"` (docs/pipelines.md#process-isolation) */
  isolation?: {
    /** worker crashes of one run before it is quarantined as `poison` (default 3) */
    poisonAfter?: number;
    /** ms an aborted or timed-out step's child may take to stop before SIGKILL (default 1000) */
    killGraceMs?: number;
  };
  /** the disk guard (docs/concepts.md#the-disk-guard); false turns it off */
  disk?: DiskGuardSettings | false;
  /**
   * how often the node checks its store file page by page (ms, default 300000); 0: only when a
   * query runs into damage (docs/operations.md#a-store-damaged-while-a-node-runs)
   */
  storeCheckIntervalMs?: number;
  /** spans of runs and steps exported over OTLP/HTTP (docs/tracing.md); unset: none */
  tracing?: TracingOptions;
  /**
   * deletes succeeded and cancelled runs older than their age, in small batches
   * (docs/operations.md#retention-of-ended-runs); unset or false: ended runs are kept
   */
  retention?: RetentionSettings | false;
}

export interface ResolvedNodeOptions {
  /** the most runs in flight at once: the fixed concurrency, or the adaptive maximum */
  readonly concurrency: number;
  readonly workers: ResolvedWorkerSettings;
  readonly leaseMs: number;
  readonly heartbeatMs: number;
  readonly pollMs: number;
  readonly pidCheckMs: number;
  readonly retry: RetryPolicy;
  readonly nodeId: string;
  readonly host: string;
  readonly pid: number;
  /** this process, exactly (process-identity.ts); null where /proc cannot tell */
  readonly process: ProcessIdentity | null;
  readonly capabilities: readonly string[];
  readonly cluster: ResolvedClusterSettings;
  readonly isolation: { readonly poisonAfter: number; readonly killGraceMs: number };
  readonly disk: ResolvedDiskGuardSettings | null;
  readonly storeCheckIntervalMs: number;
  readonly tracing: TracingOptions | null;
  readonly retention: ResolvedRetentionSettings | null;
}

/** A quick pass over a store of a few GB takes seconds of a worker thread: every 5 min is ~1%. */
const defaultStoreCheckIntervalMs = 300_000;

/** `home` is the data folder the disk guard watches unless `disk.path` says otherwise. */
export function resolveNodeOptions(
  options: NodeOptions & { home?: string } = {},
): ResolvedNodeOptions {
  const cluster = resolveClusterSettings(options.cluster, options.leaseMs ?? 5000);
  const host = cluster.hostId ?? hostname();
  const workers = resolveWorkerSettings(options);
  const resolved = {
    concurrency: workers.max,
    workers,
    leaseMs: options.leaseMs ?? 5000,
    heartbeatMs: options.heartbeatMs ?? 1000,
    pollMs: options.pollMs ?? 1000,
    pidCheckMs: options.pidCheckMs ?? 100,
    retry: resolveRetryPolicy(defaultRetryPolicy, options.retry),
    nodeId: options.nodeId ?? newNodeId(host, process.pid),
    host,
    pid: process.pid,
    process: ownProcessIdentity(),
    capabilities: Object.freeze([...new Set(options.capabilities ?? [])].sort()),
    cluster,
    isolation: Object.freeze({
      poisonAfter: options.isolation?.poisonAfter ?? defaultPoisonAfter,
      killGraceMs: options.isolation?.killGraceMs ?? 1000,
    }),
    disk: resolveDiskGuardSettings(options.disk, options.home),
    storeCheckIntervalMs: options.storeCheckIntervalMs ?? defaultStoreCheckIntervalMs,
    tracing: checkTracing(options.tracing),
    retention: resolveRetentionSettings(options.retention),
  };
  positiveInteger("leaseMs", resolved.leaseMs, 86_400_000);
  positiveInteger("heartbeatMs", resolved.heartbeatMs, 3_600_000);
  positiveInteger("pollMs", resolved.pollMs, 3_600_000);
  if (resolved.pidCheckMs !== 0) positiveInteger("pidCheckMs", resolved.pidCheckMs, 3_600_000);
  positiveInteger("isolation.poisonAfter", resolved.isolation.poisonAfter, 1_000_000);
  positiveInteger("isolation.killGraceMs", resolved.isolation.killGraceMs, 3_600_000);
  checkWhole("storeCheckIntervalMs", resolved.storeCheckIntervalMs, 0, 86_400_000);
  if (cluster.offlineAfterMs < resolved.heartbeatMs * 2)
    throw new InvalidInputError(
      `cluster.offlineAfterMs (${cluster.offlineAfterMs}) must be at least twice heartbeatMs (${resolved.heartbeatMs}), or live nodes would be judged offline`,
      { field: "cluster.offlineAfterMs" },
    );
  if (resolved.heartbeatMs * 2 > resolved.leaseMs) {
    throw new InvalidInputError(
      `heartbeatMs (${resolved.heartbeatMs}) must be at most half of leaseMs (${resolved.leaseMs}), or live runs would lose their lease`,
      { field: "heartbeatMs" },
    );
  }
  return Object.freeze(resolved);
}

function checkTracing(tracing: TracingOptions | undefined): TracingOptions | null {
  if (!tracing?.otlpUrl) return null;
  let url: URL | undefined;
  try {
    url = new URL(tracing.otlpUrl);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:"))
    throw new InvalidInputError(
      `tracing.otlpUrl must be an http(s) URL of an OTLP/HTTP traces endpoint, e.g. http://127.0.0.1:4318/v1/traces; got ${JSON.stringify(tracing.otlpUrl)}`,
      { field: "tracing.otlpUrl" },
    );
  return Object.freeze({ ...tracing });
}

function positiveInteger(field: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new InvalidInputError(
      `${field} must be a whole number from 1 to ${max}, got ${String(value)}`,
      { field },
    );
  }
}
