import * as z from "zod";
import { bulkLimit, cancelRuns, retryQuarantinedRuns } from "../../ops/bulk-runs.js";
import { namePattern } from "../../core/dag.js";
import { none, operation } from "../operation.js";
import { flag, runId, since, status, stepName, text } from "../schemas.js";
import { bulkJson, bulkSchema } from "../wire/bulk.js";

/** Bulk operator changes: cancel runs, retry quarantined runs, chosen by a filter or by ids. */
/** "embed+gpu": the capabilities a run's next step requires, all of them */
const capabilitySet = z
  .string()
  .transform((v) => v.split("+"))
  .pipe(
    z
      .array(z.string().regex(namePattern, "requires: capabilities joined by +, like gpu+embed"))
      .max(64),
  );
const filter = z
  .object({
    status: status.optional(),
    pipeline: z.string().min(1).max(256).optional(),
    reason: z.string().min(1).max(256).optional(),
    since: since.optional(),
    step: stepName.optional(),
    code: z.string().min(1).max(256).optional(),
    requires: capabilitySet.optional(),
    pool: z.string().regex(namePattern, "a pool name: 1-64 letters, digits, _ . -").optional(),
  })
  .strict();

const selection = {
  filter: filter.optional(),
  ids: z.array(runId).min(1).max(bulkLimit).optional(),
  dry_run: flag.default(false),
};

export const cancelMany = operation({
  id: "runs.cancel_bulk",
  method: "POST",
  path: "/v1/runs/cancel",
  role: "operator",
  summary:
    "cancel the pending and running runs a filter (or a dry run's ids) selects; one audit entry",
  params: none,
  query: none,
  body: z.object({ ...selection, reason: text }).strict(),
  response: bulkSchema,
  async run({ keel, actor }, { body }) {
    return bulkJson(
      await cancelRuns(keel, {
        filter: body.filter,
        ids: body.ids,
        dryRun: body.dry_run,
        reason: body.reason,
        actor,
      }),
    );
  },
});

export const retryMany = operation({
  id: "quarantine.retry_bulk",
  method: "POST",
  path: "/v1/quarantine/retry",
  role: "operator",
  summary: "retry the quarantined runs a filter (or a dry run's ids) selects; one audit entry",
  params: none,
  query: none,
  body: z.object({ ...selection, note: text }).strict(),
  response: bulkSchema,
  async run({ keel, actor }, { body }) {
    return bulkJson(
      await retryQuarantinedRuns(keel, {
        filter: body.filter,
        ids: body.ids,
        dryRun: body.dry_run,
        note: body.note,
        actor,
      }),
    );
  },
});
