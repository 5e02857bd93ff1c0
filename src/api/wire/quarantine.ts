import * as z from "zod";
import type { QuarantinePurge, QuarantinedRun } from "../../ops/run-operations.js";
import { runJson, runShape } from "./runs.js";
import { stepJson, stepSchema } from "./steps.js";
import { isoTime, maybeTimeSchema } from "./time.js";

/** A quarantined run with what an operator needs to decide, and the result of a purge. */
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

export const quarantinedSchema = z.strictObject({
  ...runShape,
  checkpointed: z.array(z.string()),
  to_run: z.array(z.string()).nullable(),
  failures: z.array(
    z.strictObject({
      step: z.string(),
      attempt: z.number().nullable(),
      code: z.string(),
      message: z.string().nullable(),
      at: maybeTimeSchema,
    }),
  ),
  steps: z.array(stepSchema),
});

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

export const purgeSchema = z.strictObject({
  dry_run: z.boolean(),
  count: z.number().int(),
  ids: z.array(z.string()),
  older_than: maybeTimeSchema,
  reason: z.string().nullable(),
  all: z.boolean(),
});
