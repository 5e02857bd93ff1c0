import * as z from "zod";
import {
  listQuarantine,
  purgeQuarantine,
  retryQuarantined,
  showQuarantined,
} from "../../ops/run-operations.js";
import { KeelError } from "../../core/errors/keel-error.js";
import { none, noBody, operation } from "../operation.js";
import { flag, limit, runId, since, text } from "../schemas.js";
import { purgeJson, purgeSchema, quarantinedJson, quarantinedSchema } from "../wire/quarantine.js";
import { retryJson, retrySchema, runPageJson, runPageSchema } from "../wire/runs.js";

/** The quarantine: runs that failed for good, waiting for an operator. */
export const listQuarantined = operation({
  id: "quarantine.list",
  method: "GET",
  path: "/v1/quarantine",
  role: "viewer",
  summary: "quarantined runs, newest first, by reason",
  params: none,
  query: z
    .object({
      reason: z.string().min(1).max(256).optional(),
      since: since.optional(),
      limit: limit(1000, 50),
      cursor: runId.optional(),
    })
    .strict(),
  body: noBody,
  response: runPageSchema,
  async run({ keel }, { query }) {
    const page = await listQuarantine(keel, query);
    return runPageJson(page);
  },
});

export const showQuarantinedRun = operation({
  id: "quarantine.show",
  method: "GET",
  path: "/v1/quarantine/:id",
  role: "viewer",
  summary: "a quarantined run: its failures, checkpoints and the steps a retry would run",
  params: z.object({ id: runId }).strict(),
  query: none,
  body: noBody,
  response: quarantinedSchema,
  async run({ keel }, { params }) {
    return quarantinedJson(await showQuarantined(keel, params.id));
  },
});

export const retryQuarantinedRun = operation({
  id: "quarantine.retry",
  method: "POST",
  path: "/v1/quarantine/:id/retry",
  role: "operator",
  summary: "retry a quarantined run from its last checkpoint",
  params: z.object({ id: runId }).strict(),
  query: none,
  body: z.object({ note: text }).strict(),
  response: retrySchema,
  async run({ keel, actor }, { params, body }) {
    const result = await retryQuarantined(keel, params.id, body.note, actor);
    return retryJson(result, undefined, body.note);
  },
});

export const purgeQuarantined = operation({
  id: "quarantine.purge",
  method: "POST",
  path: "/v1/quarantine/purge",
  role: "operator",
  summary: "delete quarantined runs by age and/or reason (or all); dry_run lists them only",
  params: none,
  query: none,
  body: z
    .object({
      older_than_days: z.number().min(0).max(36_500).optional(),
      reason: z.string().min(1).max(256).optional(),
      all: flag.optional(),
      /** only these of the runs the filter matches: a dry run's ids, so exactly they go */
      ids: z.array(runId).max(10_000).optional(),
      dry_run: flag.default(false),
    })
    .strict(),
  response: purgeSchema,
  async run({ keel, actor }, { body }) {
    if (body.older_than_days === undefined && body.reason === undefined && !body.all)
      throw new KeelError(
        "invalid_input",
        "a purge needs older_than_days, reason or all: true (add dry_run: true to see what it would delete)",
        { details: { issues: [{ in: "body", path: "", message: "no filter" }] } },
      );
    const result = await purgeQuarantine(keel, {
      olderThanDays: body.older_than_days,
      reason: body.reason,
      all: body.all,
      ids: body.ids,
      dryRun: body.dry_run,
      actor,
    });
    return purgeJson(result, { reason: body.reason, all: body.all });
  },
});
