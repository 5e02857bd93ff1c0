import * as z from "zod";
import type { DiskGuardState } from "../../engine/disk-guard.js";
import type { RetentionState } from "../../engine/retention-sweep.js";
import type { WorkerLimitState } from "../../engine/worker-limit.js";
import type { StatusReport } from "../../ops/status.js";
import { sourceSchema } from "./sources.js";
import { isoTime, maybeTimeSchema, round2 } from "./time.js";

/**
 * `keel status` and `/v1/status`: this home's node, the nodes and runs of the store, its
 * pipelines (docs/cli.md#keel-status); a node that answers adds its workers and disk guard.
 */
export function statusJson(report: StatusReport, verbose: boolean, now: number) {
  return {
    home: report.home,
    node: {
      running: report.node.running,
      pid: report.node.pid,
      node_id: report.node.nodeId,
      uptime_ms: report.node.uptimeMs,
    },
    nodes: report.nodes.map((n) => ({
      id: n.id,
      host: n.host,
      pid: n.pid,
      state: n.state,
      heartbeat_at: isoTime(n.heartbeatAt),
      heartbeat_age_ms: n.heartbeatAgeMs,
      ...(verbose
        ? { version: n.version, started_at: isoTime(n.startedAt), capabilities: n.capabilities }
        : {}),
    })),
    // keyed by run status, counts
    runs: report.runs as Record<string, number>,
    pipelines: report.pipelines.map((p) => ({ name: p.name, version: p.version, steps: p.steps })),
    ...(verbose
      ? {
          store: { file: report.store.file, state: report.store.state, bytes: report.store.bytes },
          oldest_pending:
            report.oldestDueAt === null
              ? null
              : {
                  due_at: isoTime(report.oldestDueAt),
                  age_ms: Math.max(0, now - report.oldestDueAt),
                },
        }
      : {}),
  };
}

/** The worker limit of a node: fixed or adaptive, its bounds, pressure and the last change. */
export function adaptiveJson(w: WorkerLimitState) {
  return {
    adaptive: w.adaptive,
    min_workers: w.min,
    max_workers: w.max,
    pressure: {
      active: w.pressure.active,
      reason: w.pressure.reason,
      event_loop_delay_ms: round2(w.pressure.signals.eventLoopDelayMs),
      latency_growth: round2(w.pressure.signals.latencyGrowth),
      throttled_ratio: round2(w.pressure.signals.throttledRatio),
    },
    defer_below_priority: w.deferBelowPriority,
    deferring: w.deferring,
    cgroup_stat: w.cgroupStat,
    last_change: w.lastChange && {
      at: isoTime(w.lastChange.at),
      from: w.lastChange.from,
      to: w.lastChange.to,
      reason: w.lastChange.reason,
    },
  };
}

/** The disk guard of a node: its state and figures. */
export function diskJson(d: DiskGuardState) {
  return {
    state: d.state,
    reason: d.reason,
    used_percent: d.usage ? round2(d.usage.usedPercent) : null,
    free_bytes: d.usage?.freeBytes ?? null,
    since: isoTime(d.since),
    // the cleanup's report: keel's own one-word keys
    last_cleanup: d.lastCleanup && { ...d.lastCleanup, at: isoTime(d.lastCleanup.at) },
  };
}

/** The node's retention of ended runs: its settings and what it deleted. */
export function retentionJson(r: RetentionState) {
  return {
    succeeded_days: r.succeededDays,
    cancelled_days: r.cancelledDays,
    last_sweep_at: isoTime(r.lastSweepAt),
    last_sweep_deleted: r.lastSweepDeleted,
    deleted_total: r.deletedTotal,
    last_error: r.lastError,
  };
}

const n = z.number();

const retentionSchema = z.strictObject({
  succeeded_days: n,
  cancelled_days: n,
  last_sweep_at: maybeTimeSchema,
  last_sweep_deleted: n,
  deleted_total: n,
  last_error: z.string().nullable(),
});

const workersSchema = z.strictObject({
  node_id: z.string().nullable(),
  pid: n,
  concurrency: n,
  limit: n,
  busy: n,
  idle: n,
  claimed_ahead: n,
  uptime_ms: n,
  pids: z.array(n),
  processes: z.array(
    z.strictObject({
      pid: n.nullable(),
      state: z.string(),
      busy: z.boolean(),
      run_id: z.string().nullable(),
      step: z.string().nullable(),
    }),
  ),
  // with the node's worker limit (always, from a running node)
  adaptive: z.boolean().optional(),
  min_workers: n.optional(),
  max_workers: n.optional(),
  pressure: z
    .strictObject({
      active: z.boolean(),
      reason: z.string().nullable(),
      event_loop_delay_ms: n.nullable(),
      latency_growth: n.nullable(),
      throttled_ratio: n.nullable(),
    })
    .optional(),
  defer_below_priority: n.nullable().optional(),
  deferring: z.boolean().optional(),
  cgroup_stat: z.string().nullable().optional(),
  last_change: z
    .strictObject({ at: maybeTimeSchema, from: n, to: n, reason: z.string() })
    .nullable()
    .optional(),
});

const diskSchema = z.strictObject({
  state: z.enum(["ok", "warn", "paused"]),
  reason: z.string(),
  used_percent: n.nullable(),
  free_bytes: n.nullable(),
  since: maybeTimeSchema,
  last_cleanup: z
    .strictObject({ at: maybeTimeSchema, state: z.string(), ms: n, tasks: z.array(z.unknown()) })
    .nullable(),
});

export const statusSchema = z.strictObject({
  home: z.string(),
  node: z.strictObject({
    running: z.boolean(),
    pid: n.nullable(),
    node_id: z.string().nullable(),
    uptime_ms: n.nullable(),
  }),
  nodes: z.array(
    z.strictObject({
      id: z.string(),
      host: z.string(),
      pid: n,
      state: z.string(),
      heartbeat_at: maybeTimeSchema,
      heartbeat_age_ms: n,
      version: z.string().optional(),
      started_at: maybeTimeSchema.optional(),
      capabilities: z.array(z.string()).optional(),
    }),
  ),
  runs: z.record(z.string(), n),
  pipelines: z.array(z.strictObject({ name: z.string(), version: z.string(), steps: n })),
  store: z.strictObject({ file: z.string(), state: z.string(), bytes: n.nullable() }).optional(),
  oldest_pending: z.strictObject({ due_at: maybeTimeSchema, age_ms: n }).nullable().optional(),
  workers: workersSchema.nullable(),
  disk: diskSchema.nullable(),
  // from a node that answers: its retention of ended runs (null: no node answers)
  retention: retentionSchema.nullable(),
  sources: z.array(
    sourceSchema.pick({
      name: true,
      kind: true,
      pipeline: true,
      paused: true,
      pause_reason: true,
      next_tick_at: true,
    }),
  ),
});
