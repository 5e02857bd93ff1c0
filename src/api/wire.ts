import { terminalRunStatuses } from "../core/status.js";
import type { EmergencyState } from "../engine/emergency.js";
import type { RunDetails } from "../engine/keel.js";
import type { HealthReport } from "../ops/health/index.js";
import type { DiskGuardState } from "../engine/disk-guard.js";
import type { WorkerLimitState } from "../engine/worker-limit.js";
import type { QuarantinePurge, QuarantinedRun } from "../ops/run-operations.js";
import type { StatusReport } from "../ops/status.js";
import type { AuditRecord } from "../store/audit.js";
import type { RetryResult } from "../store/operator-requests.js";
import type { RunRecord, StepResultRecord, TransitionRecord } from "../store/records.js";
import type { SourceRecord } from "../store/sources.js";
import type { RunPage } from "../store/store.js";
import { elidedFields, type ElidedField, type RunSummary } from "../store/run-summary.js";
import type { TokenRecord } from "../store/tokens.js";

/**
 * The wire: the stable JSON shapes of runs, steps, transitions, sources, tokens... that the HTTP
 * API returns and the CLI prints with `--format json` (docs/api.md, docs/cli.md). Fields are only
 * ever added. Times are ISO 8601 strings in UTC, or null.
 */
export function isoTime(ms: number | null | undefined): string | null {
  if (ms === null || ms === undefined) return null;
  const date = new Date(ms);
  // a time no calendar holds (a row edited by hand, or stored before inputs were range-checked)
  // is shown as such, so one bad row never takes a listing down; `keel db check` reports it
  return Number.isNaN(date.getTime()) ? `invalid time (${String(ms)})` : date.toISOString();
}

/**
 * The stable JSON shape of a run (docs/cli.md). In a list page a big input or output is replaced
 * by a marker with its size and a big error is cut (docs/api.md#summaries); `elided` names them.
 */
export function runJson(run: RunRecord | RunSummary) {
  const elided = "elided" in run && run.elided ? run.elided : {};
  const shown = <T>(field: Exclude<ElidedField, "error">, value: T) => {
    const bytes = elided[field];
    return bytes === undefined ? value : { $elided: true as const, bytes };
  };
  return {
    id: run.id,
    pipeline: run.pipeline,
    pipeline_version: run.pipelineVersion,
    status: run.status,
    priority: run.priority,
    attempts: run.attempts,
    step_attempts: run.stepAttempts,
    source: run.source,
    idempotency_key: run.idempotencyKey,
    trace_id: run.traceId,
    quarantine_reason: run.quarantineReason,
    // a big error is cut, not replaced: its code, step and message stay readable in a list
    error: run.error,
    input: shown("input", run.input),
    output: shown("output", run.output),
    elided: elidedFields.filter((f) => elided[f] !== undefined),
    node_id: run.nodeId,
    scheduled_for: isoTime(run.scheduledFor),
    created_at: isoTime(run.createdAt),
    started_at: isoTime(run.startedAt),
    finished_at: isoTime(run.finishedAt),
    updated_at: isoTime(run.updatedAt),
    terminal: terminalRunStatuses.has(run.status),
  };
}

/** The stable JSON shapes of the operator commands (docs/cli.md): fields are only ever added. */
export function retryJson(
  result: RetryResult,
  fromStep: string | undefined,
  note: string,
  redoDegraded = false,
) {
  return {
    ...runJson(result.run),
    retry: {
      from_status: result.from,
      from_step: fromStep ?? null,
      cleared: result.cleared,
      note,
      redo_degraded: redoDegraded,
    },
  };
}

export function stepJson(s: StepResultRecord) {
  return {
    step: s.step,
    attempt: s.attempt,
    output: s.output,
    output_hash: s.outputHash,
    node_id: s.nodeId,
    started_at: isoTime(s.startedAt),
    finished_at: isoTime(s.finishedAt),
    duration_ms: s.finishedAt - s.startedAt,
    degraded: s.degraded,
  };
}

export function quarantinedJson(q: QuarantinedRun) {
  return {
    ...runJson(q.run),
    checkpointed: q.checkpointed,
    to_run: q.toRun,
    failures: q.failures.map((f) => ({
      step: f.step,
      attempt: f.attempt,
      code: f.code,
      message: f.message,
      at: isoTime(f.at),
    })),
    steps: q.steps.map(stepJson),
  };
}

export function purgeJson(result: QuarantinePurge, filter: { reason?: string; all?: boolean }) {
  return {
    dry_run: result.dryRun,
    count: result.count,
    ids: result.ids,
    older_than: isoTime(result.olderThan),
    reason: filter.reason ?? null,
    all: Boolean(filter.all),
  };
}

export function auditJson(e: AuditRecord) {
  return {
    id: e.id,
    at: isoTime(e.at),
    actor: e.actor,
    action: e.action,
    target: e.target,
    reason: e.reason,
    details: e.details,
  };
}

/** The stable JSON shape of a source (docs/cli.md). */
export function sourceJson(s: SourceRecord) {
  return {
    name: s.name,
    kind: s.kind,
    pipeline: s.pipeline,
    cron: s.kind === "cron" ? s.schedule : null,
    every_ms: s.kind === "interval" ? Number(s.schedule) : null,
    watch: s.kind === "watch" ? s.schedule : null,
    timezone: s.timezone,
    input: s.input,
    paused: s.paused,
    pause_reason: s.pauseReason,
    paused_by: s.pausedBy,
    paused_at: isoTime(s.pausedAt),
    last_tick_at: isoTime(s.lastTickAt),
    next_tick_at: isoTime(s.nextTickAt),
    updated_at: isoTime(s.updatedAt),
  };
}

export function transitionJson(t: TransitionRecord) {
  return {
    id: t.id,
    run_id: t.runId,
    step: t.step,
    from: t.from,
    to: t.to,
    reason: t.reason,
    actor: t.actor,
    at: isoTime(t.at),
    trace_id: t.traceId,
    details: t.details,
  };
}

/** a page of runs (`jobs list`, `quarantine list`): the next page starts after `next_cursor` */
export function runPageJson(page: RunPage) {
  return { runs: page.runs.map(runJson), next_cursor: page.nextCursor };
}

/** `jobs show` and `GET /v1/runs/:id`: the run with its checkpoints and transitions */
export function runDetailsJson(d: RunDetails) {
  return {
    ...runJson(d.run),
    steps: d.steps.map(stepJson),
    transitions: d.transitions.map(transitionJson),
  };
}

export function emergencyJson(state: EmergencyState) {
  return {
    on: state.on,
    reason: state.reason,
    abort: state.abort,
    actor: state.actor,
    at: isoTime(state.at),
  };
}

export function tokenJson(t: TokenRecord) {
  return {
    id: t.id,
    name: t.name,
    role: t.role,
    created_at: isoTime(t.createdAt),
    created_by: t.createdBy,
    last_used_at: isoTime(t.lastUsedAt),
    revoked: t.revokedAt !== null,
    revoked_at: isoTime(t.revokedAt),
    revoked_by: t.revokedBy,
  };
}

/** The worker limit of a node: fixed or adaptive, its bounds, pressure and the last change. */
export function adaptiveJson(w: WorkerLimitState) {
  return {
    adaptive: w.adaptive,
    minWorkers: w.min,
    maxWorkers: w.max,
    pressure: {
      active: w.pressure.active,
      reason: w.pressure.reason,
      eventLoopDelayMs: round(w.pressure.signals.eventLoopDelayMs),
      latencyGrowth: round(w.pressure.signals.latencyGrowth),
      throttledRatio: round(w.pressure.signals.throttledRatio),
    },
    deferBelowPriority: w.deferBelowPriority,
    deferring: w.deferring,
    cgroupStat: w.cgroupStat,
    lastChange: w.lastChange && { ...w.lastChange, at: isoTime(w.lastChange.at) },
  };
}

/** The disk guard of a node: its state and figures. */
export function diskJson(d: DiskGuardState) {
  return {
    state: d.state,
    reason: d.reason,
    usedPercent: d.usage ? round(d.usage.usedPercent) : null,
    freeBytes: d.usage?.freeBytes ?? null,
    since: isoTime(d.since),
    lastCleanup: d.lastCleanup && { ...d.lastCleanup, at: isoTime(d.lastCleanup.at) },
  };
}

function round(n: number | null): number | null {
  return n === null ? null : Math.round(n * 100) / 100;
}

export function healthJson(report: HealthReport, verbose: boolean) {
  return snakeKeys({
    status: report.status,
    home: report.home,
    checkedAt: isoTime(report.checkedAt),
    components: report.components.map((c) => ({
      component: c.component,
      status: c.status,
      reason: c.reason,
      ...(verbose ? { details: c.details } : {}),
    })),
  }) as {
    status: string;
    home: string;
    checked_at: string;
    components: { component: string; status: string; reason: string | null; details?: unknown }[];
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

export function statusJson(report: StatusReport, verbose: boolean, now: number): unknown {
  return {
    home: report.home,
    node: report.node,
    nodes: report.nodes.map((n) => ({
      id: n.id,
      host: n.host,
      pid: n.pid,
      state: n.state,
      heartbeatAt: isoTime(n.heartbeatAt),
      heartbeatAgeMs: n.heartbeatAgeMs,
      ...(verbose
        ? { version: n.version, startedAt: isoTime(n.startedAt), capabilities: n.capabilities }
        : {}),
    })),
    runs: report.runs,
    pipelines: report.pipelines,
    ...(verbose
      ? {
          store: report.store,
          oldestPending:
            report.oldestDueAt === null
              ? null
              : {
                  dueAt: isoTime(report.oldestDueAt),
                  ageMs: Math.max(0, now - report.oldestDueAt),
                },
        }
      : {}),
  };
}

/** JSON output uses snake_case keys, like every other command's. */
export function snakeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeKeys);
  if (value !== null && typeof value === "object")
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [
        k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
        snakeKeys(v),
      ]),
    );
  return value;
}
