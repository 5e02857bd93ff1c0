import * as z from "zod";
import type { DeadNode } from "../../engine/liveness.js";
import type { ComponentHealth, HealthReport } from "../../ops/health/index.js";
import type { HealthLatencySummary } from "../../ops/health/latency.js";
import { healthDetailsSchema, withoutUndefined as present } from "./health-details.js";
import { isoTime, timeSchema } from "./time.js";

/**
 * `keel health`, `/v1/health` and `/health`: a verdict per component and, verbose, the figures
 * behind it (docs/cli.md#keel-health), each component's written here field by field. Times
 * inside `details` are epoch ms, as documented.
 */
export function healthJson(
  report: HealthReport,
  verbose: boolean,
  /** verbose, from a node's API: its health checks' handling times (null before the first) */
  latency?: HealthLatencySummary | null,
) {
  return {
    status: report.status,
    home: report.home,
    checked_at: isoTime(report.checkedAt) as string,
    components: report.components.map((c) => ({
      component: c.component,
      status: c.status,
      reason: c.reason as string | null,
      ...(verbose ? { details: detailsJson(c) as unknown } : {}),
    })),
    ...(verbose && latency !== undefined ? { latency } : {}),
  };
}

/** `/health` without a token: the status of each component, nothing about the machine. */
export function healthSummaryJson(report: HealthReport) {
  return {
    status: report.status,
    checked_at: isoTime(report.checkedAt),
    components: report.components.map((c) => ({ component: c.component, status: c.status })),
  };
}

const healthStatus = z.enum(["healthy", "degraded", "unhealthy"]);

export const healthSchema = z.strictObject({
  status: healthStatus,
  home: z.string(),
  checked_at: timeSchema,
  components: z.array(
    z.strictObject({
      component: z.string(),
      status: healthStatus,
      reason: z.string().nullable(),
      details: healthDetailsSchema.optional(),
    }),
  ),
  latency: z
    .strictObject({
      samples: z.number().int(),
      p50_ms: z.number(),
      p95_ms: z.number(),
      p99_ms: z.number(),
      window_ms: z.number().int(),
    })
    .nullable()
    .optional(),
});

const healthSummarySchema = z.strictObject({
  status: healthStatus,
  checked_at: timeSchema.nullable(),
  components: z.array(z.strictObject({ component: z.string(), status: healthStatus })),
});

/** `/health`: the summary without a token, the whole report with one */
export const publicHealthSchema = z.union([healthSchema, healthSummarySchema]);

type Details = Record<string, unknown>;

function detailsJson(c: ComponentHealth): Details {
  const d = c.details;
  switch (c.component) {
    case "store":
      return present({
        file: d.file,
        bytes: d.bytes,
        runs: d.runs,
        ms: d.ms,
        state: d.state,
        since: d.since,
        checked_at: d.checkedAt,
        check_level: d.checkLevel,
        check_ms: d.checkMs,
        interval_ms: d.intervalMs,
        // the store's findings and the last repair: keel's own one-word keys
        findings: d.findings,
        last_repair: d.lastRepair,
        advice: d.advice,
      });
    case "node":
      return present({
        pid: d.pid,
        node_id: d.nodeId,
        state: d.state,
        heartbeat_age_ms: d.heartbeatAgeMs,
        dead_nodes: (d.deadNodes as DeadNode[] | undefined)?.map(deadNodeJson),
      });
    case "queue":
      return present({
        oldest_due_at: d.oldestDueAt,
        waiting_ms: d.waitingMs,
        max_wait_ms: d.maxWaitMs,
      });
    case "disk":
      return present({
        path: d.path,
        total_bytes: d.totalBytes,
        free_bytes: d.freeBytes,
        used_percent: d.usedPercent,
        used_ratio: d.usedRatio,
        inodes_percent: d.inodesPercent,
        warn_percent: d.warnPercent,
        pause_percent: d.pausePercent,
        state: d.state,
        since: d.since,
        checked_at: d.checkedAt,
        last_cleanup: d.lastCleanup,
      });
    case "breakers":
      return present({
        breakers: d.breakers,
        open: (d.open as Details[] | undefined)?.map((b) =>
          present({
            name: b.name,
            state: b.state,
            manual: b.manual,
            reason: b.reason,
            opened_at: b.openedAt,
            answered: b.answered,
          }),
        ),
      });
    case "workers":
      return present({
        pid: d.pid,
        limit: d.limit,
        min: d.min,
        max: d.max,
        adaptive: d.adaptive,
        busy: d.busy,
        claimed_ahead: d.claimedAhead,
        pressure: d.pressure,
        pressure_reason: d.pressureReason,
        deferring: d.deferring,
        processes: d.processes,
        recent_deaths: (d.recentDeaths as Details[] | undefined)?.map((w) => ({
          pid: w.pid,
          at: w.at,
          signal: w.signal,
          exit_code: w.exitCode,
          killed_by_keel: w.killedByKeel,
          run_id: w.runId,
          step: w.step,
        })),
      });
    case "cluster":
      return present({
        online: d.online,
        draining: d.draining,
        offline: d.offline,
        gone: d.gone,
        late: d.late,
        blocked: d.blocked,
        capacity: d.capacity,
        pools: d.pools,
        waiting_for_capability: d.waitingForCapability,
      });
    case "scheduler":
      return present({
        sources: d.sources,
        paused: d.paused,
        late: (d.late as Details[] | undefined)?.map((s) => ({
          name: s.name,
          kind: s.kind,
          next_tick_at: s.nextTickAt,
          late_ms: s.lateMs,
        })),
        failing: d.failing,
      });
    case "emergency":
      return present({ on: d.on, reason: d.reason, actor: d.actor, at: d.at });
    case "alerts":
      return present({
        firing: d.firing,
        queued: d.queued,
        receivers: (d.receivers as Details[] | undefined)?.map((r) => ({
          receiver: r.receiver,
          queued: r.queued,
          attempts: r.attempts,
          last_error: r.lastError,
        })),
      });
    default:
      return d;
  }
}

function deadNodeJson(n: DeadNode) {
  return {
    node_id: n.nodeId,
    host: n.host,
    pid: n.pid,
    cause: n.cause,
    declared_at: n.declaredAt,
    last_heartbeat_at: n.lastHeartbeatAt,
    runs_returned: n.runsReturned,
  };
}
