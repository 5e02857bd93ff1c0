import { asRecording } from "../core/determinism/recording.js";
import type { JsonValue } from "../core/canonical-json.js";
import { encodeTime } from "../core/ids.js";
import type { RunStatus } from "../core/status.js";
import type { AuditRecord } from "./audit.js";
import type {
  ErrorInfo,
  NodeRecord,
  NodeState,
  RunRecord,
  StepResultRecord,
  TransitionRecord,
} from "./records.js";

/**
 * Row -> record mapping shared by both backends. Column names are the same everywhere; numbers
 * may arrive as strings (PostgreSQL bigint) and JSON as text (SQLite) or parsed (jsonb).
 */
export type Row = Record<string, unknown>;

export function json<T = JsonValue>(value: unknown): T {
  return (typeof value === "string" ? JSON.parse(value) : value) as T;
}

export function jsonOrNull<T>(value: unknown): T | null {
  return value === null || value === undefined ? null : json<T>(value);
}

export function num(value: unknown): number {
  return typeof value === "number" ? value : Number(value);
}

export function numOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : num(value);
}

export function runFromRow(row: Row): RunRecord {
  return {
    id: row.id as string,
    pipeline: row.pipeline as string,
    pipelineVersion: row.pipeline_version as string,
    status: row.status as RunStatus,
    input: json(row.input),
    output: jsonOrNull<JsonValue>(row.output),
    error: jsonOrNull<ErrorInfo>(row.error),
    quarantineReason: (row.quarantine_reason as string | null) ?? null,
    priority: num(row.priority),
    idempotencyKey: (row.idempotency_key as string | null) ?? null,
    source: row.source as string,
    traceId: row.trace_id as string,
    ...(typeof row.trace_parent === "string" ? { traceParent: row.trace_parent } : {}),
    seed: num(row.seed),
    attempts: num(row.attempts),
    stepAttempts: json<Record<string, number>>(row.step_attempts),
    scheduledFor: num(row.scheduled_for),
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
    startedAt: numOrNull(row.started_at),
    finishedAt: numOrNull(row.finished_at),
    nodeId: (row.node_id as string | null) ?? null,
    leaseEpoch: num(row.lease_epoch),
    leaseExpiresAt: numOrNull(row.lease_expires_at),
  };
}

export function stepResultFromRow(row: Row): StepResultRecord {
  return {
    runId: row.run_id as string,
    step: row.step as string,
    output: json(row.output),
    outputHash: row.output_hash as string,
    attempt: num(row.attempt),
    nodeId: (row.node_id as string | null) ?? null,
    startedAt: num(row.started_at),
    finishedAt: num(row.finished_at),
    degraded: row.degraded === 1 || row.degraded === true,
    recorded:
      row.recorded === null || row.recorded === undefined ? null : asRecording(json(row.recorded)),
  };
}

export function transitionFromRow(row: Row): TransitionRecord {
  return {
    id: num(row.id),
    runId: row.run_id as string,
    step: (row.step as string | null) ?? null,
    from: (row.from_status as TransitionRecord["from"]) ?? null,
    to: row.to_status as TransitionRecord["to"],
    reason: row.reason as string,
    actor: row.actor as string,
    at: num(row.at),
    traceId: (row.trace_id as string | null) ?? null,
    details: jsonOrNull<JsonValue>(row.details),
  };
}

export function nodeFromRow(row: Row): NodeRecord {
  return {
    id: row.id as string,
    host: row.host as string,
    pid: num(row.pid),
    process:
      row.process_space === null || row.process_space === undefined
        ? null
        : { space: row.process_space as string, start: num(row.process_start) },
    capabilities: json<string[]>(row.capabilities),
    state: row.state as NodeState,
    version: row.version as string,
    startedAt: num(row.started_at),
    heartbeatAt: num(row.heartbeat_at),
    pools: json<Record<string, number>>(row.pools ?? "{}"),
    slots: num(row.slots ?? 0),
    joinTokenId: (row.join_token_id as string | null) ?? null,
    drainDeadline: numOrNull(row.drain_deadline),
    progressAt: numOrNull(row.progress_at),
    blocked: (row.blocked as string | null) ?? null,
  };
}

/** The smallest run id created at or after `time`: ids sort by creation time, so `since` is an index range. */
export function runIdFloor(time: number): string {
  return `run_${encodeTime(Math.max(0, Math.floor(time)))}`;
}

export function auditFromRow(row: Row): AuditRecord {
  return {
    id: num(row.id),
    at: num(row.at),
    actor: row.actor as string,
    action: row.action as string,
    target: (row.target as string | null) ?? null,
    reason: (row.reason as string | null) ?? null,
    details: jsonOrNull<JsonValue>(row.details),
  };
}
