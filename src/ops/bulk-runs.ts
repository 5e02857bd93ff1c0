import type { JsonValue } from "../core/canonical-json.js";
import { InvalidInputError } from "../core/errors/definition-errors.js";
import type { RunStatus } from "../core/status.js";
import { applyToRuns, type BulkFailure } from "../engine/bulk-actions.js";
import type { Keel } from "../engine/keel.js";
import { AuditAction } from "../store/audit.js";
import type { Store } from "../store/store.js";
import { NotQuarantinedError } from "./run-operations.js";

/**
 * `keel jobs cancel --filter` and `keel quarantine retry --filter`: the runs a filter selects
 * (status, pipeline, quarantine reason, created since, the failed step, the error code, what the
 * next step requires and its pool), listed
 * exactly by a dry run; then changed one by one with one audit entry for all. A change names the
 * runs it applies to (`ids`, from the dry run the operator saw) or the filter again.
 */
export interface RunFilter {
  status?: RunStatus;
  pipeline?: string;
  reason?: string;
  /** epoch ms: created at or after */
  since?: number;
  /** the step the run's last error came from */
  step?: string;
  /** the run's last error code */
  code?: string;
  /** the capabilities the run's next step requires, exactly (a pending run waits for them) */
  requires?: string[];
  /** the pool the run's next step takes its slot from */
  pool?: string;
}

/** the most runs one bulk change selects; narrow the filter for more */
export const bulkLimit = 10_000;
const pageSize = 1000;

export interface BulkRequest {
  filter?: RunFilter;
  ids?: string[];
  dryRun: boolean;
  actor: string;
}

export interface BulkOutcome {
  dryRun: boolean;
  /** the runs selected (a dry run changes none of them) */
  ids: string[];
  /** true when more than bulkLimit runs matched: only the first bulkLimit are listed */
  truncated: boolean;
  done: string[];
  failed: BulkFailure[];
  auditId: number | null;
}

export async function selectRuns(
  store: Store,
  filter: RunFilter,
  allowed: readonly RunStatus[],
): Promise<{ ids: string[]; truncated: boolean }> {
  if (filter.status !== undefined && !allowed.includes(filter.status))
    throw new InvalidInputError(
      `status=${filter.status} cannot be chosen here; one of: ${allowed.join(", ")}`,
      { field: "filter.status" },
    );
  const ids: string[] = [];
  for (const status of filter.status ? [filter.status] : allowed) {
    let cursor: string | undefined;
    do {
      const page = await store.listRuns({
        status,
        pipeline: filter.pipeline,
        since: filter.since,
        quarantineReason: filter.reason,
        requires: filter.requires,
        pool: filter.pool,
        limit: pageSize,
        cursor,
      });
      for (const run of page.runs) {
        if (filter.step !== undefined && run.error?.step !== filter.step) continue;
        if (filter.code !== undefined && run.error?.code !== filter.code) continue;
        if (ids.length === bulkLimit) return { ids, truncated: true };
        ids.push(run.id);
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
  return { ids, truncated: false };
}

async function bulk(
  keel: Keel,
  request: BulkRequest,
  allowed: readonly RunStatus[],
  change: (id: string) => Promise<unknown>,
  audit: { action: string; target: string; reason: string },
): Promise<BulkOutcome> {
  if ((request.filter === undefined) === (request.ids === undefined))
    throw new InvalidInputError("give either a filter or the ids of the runs (from a dry run)", {
      field: "filter",
    });
  const { ids, truncated } = request.ids
    ? { ids: [...new Set(request.ids)], truncated: false }
    : await selectRuns(keel.store, request.filter!, allowed);
  if (request.dryRun) return { dryRun: true, ids, truncated, done: [], failed: [], auditId: null };
  const selection = (request.filter ?? { ids: "from a dry run" }) as Record<string, JsonValue>;
  const result = await applyToRuns(keel.store, ids, change, {
    ...audit,
    actor: request.actor,
    selection,
  });
  return { dryRun: false, ids, truncated, ...result };
}

export function cancelRuns(
  keel: Keel,
  request: BulkRequest & { reason: string },
): Promise<BulkOutcome> {
  return bulk(
    keel,
    request,
    ["pending", "running"],
    (id) => keel.cancel(id, request.reason, request.actor, { audit: false }),
    { action: AuditAction.runsCancelBulk, target: "runs", reason: request.reason },
  );
}

export function retryQuarantinedRuns(
  keel: Keel,
  request: BulkRequest & { note: string },
): Promise<BulkOutcome> {
  return bulk(
    keel,
    request,
    ["quarantined"],
    async (id) => {
      const run = await keel.store.getRun(id);
      if (run && run.status !== "quarantined") throw new NotQuarantinedError(run);
      return keel.retry(id, { note: request.note, actor: request.actor, audit: false });
    },
    { action: AuditAction.quarantineRetryBulk, target: "quarantine", reason: request.note },
  );
}
