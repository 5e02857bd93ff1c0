import * as z from "zod";
import type { BulkOutcome } from "../../ops/bulk-runs.js";

/** A bulk cancel or retry: the runs selected, and (unless a dry run) which changed, which not. */
export function bulkJson(outcome: BulkOutcome) {
  return {
    dry_run: outcome.dryRun,
    count: outcome.ids.length,
    ids: outcome.ids,
    truncated: outcome.truncated,
    done: outcome.done,
    failed: outcome.failed,
    audit_id: outcome.auditId,
  };
}

export const bulkSchema = z.strictObject({
  dry_run: z.boolean(),
  count: z.number().int(),
  ids: z.array(z.string()),
  truncated: z.boolean(),
  done: z.array(z.string()),
  failed: z.array(z.strictObject({ id: z.string(), code: z.string(), message: z.string() })),
  audit_id: z.number().int().nullable(),
});
