import type { QuarantinePurge, QuarantinedRun } from "../ops/run-operations.js";
import type { AuditRecord } from "../store/audit.js";
import type { RetryResult } from "../store/operator-requests.js";
import type { StepResultRecord } from "../store/records.js";
import { runJson } from "./commands/submit.js";
import { isoTime } from "./output.js";

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
