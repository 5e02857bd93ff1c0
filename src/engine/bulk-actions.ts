import type { JsonValue } from "../core/canonical-json.js";
import { isKeelError } from "../core/errors/keel-error.js";
import type { Store } from "../store/store.js";

/**
 * A change applied to many runs at once (a bulk cancel, a bulk retry): each run is changed on its
 * own, without an audit entry of its own, and one audit entry then names every run changed and
 * every run refused, with the filter that chose them. A run that cannot be changed (it ended
 * meanwhile, it left the quarantine) is reported, not fatal: the others still change.
 */
export interface BulkFailure {
  id: string;
  code: string;
  message: string;
}

export interface BulkResult {
  done: string[];
  failed: BulkFailure[];
  /** the audit entry naming them; null when no run was selected */
  auditId: number | null;
}

export interface BulkAudit {
  actor: string;
  action: string;
  target: string;
  reason: string;
  /** what chose the runs (the filter), kept in the entry */
  selection: Record<string, JsonValue>;
}

export async function applyToRuns(
  store: Store,
  ids: readonly string[],
  change: (id: string) => Promise<unknown>,
  audit: BulkAudit,
  now: () => number = Date.now,
): Promise<BulkResult> {
  const done: string[] = [];
  const failed: BulkFailure[] = [];
  for (const id of ids) {
    try {
      await change(id);
      done.push(id);
    } catch (error) {
      if (!isKeelError(error)) throw error;
      failed.push({ id, code: error.code, message: error.message });
    }
  }
  if (ids.length === 0) return { done, failed, auditId: null };
  const entry = await store.appendAudit({
    at: now(),
    actor: audit.actor,
    action: audit.action,
    target: audit.target,
    reason: audit.reason,
    details: {
      selection: audit.selection,
      count: done.length,
      ids: done,
      failed: failed.map((f) => ({ id: f.id, code: f.code })),
    },
  });
  return { done, failed, auditId: entry.id };
}
