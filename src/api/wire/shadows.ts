import * as z from "zod";
import type { ShadowRecord } from "../../store/shadow-rows.js";
import type { ClassCount, ShadowReport } from "../../ops/shadow/shadow-report.js";
import { isoTime, maybeTimeSchema } from "./time.js";

/** `keel shadow start|stop|list|report`: what the shadow operations answer. */
export function shadowJson(s: ShadowRecord) {
  return {
    id: s.id,
    pipeline: s.pipeline,
    state: s.stoppedAt === null ? ("active" as const) : ("stopped" as const),
    module: s.module,
    module_resolved: s.moduleResolved,
    version: s.version,
    steps: s.steps.map((x) => x.step),
    sample_rate: s.sampleRate,
    max_per_minute: s.maxPerMinute,
    started_at: isoTime(s.createdAt),
    started_by: s.createdBy,
    stopped_at: isoTime(s.stoppedAt),
    stopped_by: s.stoppedBy,
  };
}

export const shadowSchema = z.strictObject({
  id: z.string(),
  pipeline: z.string(),
  state: z.enum(["active", "stopped"]),
  module: z.string(),
  module_resolved: z.string(),
  version: z.string(),
  steps: z.array(z.string()),
  sample_rate: z.number(),
  max_per_minute: z.number().nullable(),
  started_at: maybeTimeSchema,
  started_by: z.string(),
  stopped_at: maybeTimeSchema,
  stopped_by: z.string().nullable(),
});

export const shadowListSchema = z.strictObject({ shadows: z.array(shadowSchema) });

const classesSchema = z.record(z.string(), z.strictObject({ runs: z.number(), rate: z.number() }));
const classesJson = (c: Record<string, ClassCount>) => c;

export function shadowReportJson(r: ShadowReport) {
  return {
    shadow: shadowJson(r.shadow),
    runs: {
      queued: r.queued,
      running: r.running,
      failed: r.failed,
      compared: r.compared,
      same: r.same,
      mismatch: r.mismatch,
    },
    mismatch_rate: r.mismatchRate,
    classes: classesJson(r.classes),
    steps: r.steps.map((s) => ({
      step: s.step,
      compared: s.compared,
      same: s.same,
      mismatch: s.mismatch,
      not_checkpointed: s.notCheckpointed,
      classes: classesJson(s.classes),
      samples: s.samples,
    })),
    versions_replayed: r.versionsReplayed,
  };
}

export const shadowReportSchema = z.strictObject({
  reports: z.array(
    z.strictObject({
      shadow: shadowSchema,
      runs: z.strictObject({
        queued: z.number(),
        running: z.number(),
        failed: z.number(),
        compared: z.number(),
        same: z.number(),
        mismatch: z.number(),
      }),
      mismatch_rate: z.number(),
      classes: classesSchema,
      steps: z.array(
        z.strictObject({
          step: z.string(),
          compared: z.number(),
          same: z.number(),
          mismatch: z.number(),
          not_checkpointed: z.number(),
          classes: classesSchema,
          samples: z.array(
            z.strictObject({
              run: z.string(),
              class: z.string().nullable(),
              fields: z.array(z.string()),
            }),
          ),
        }),
      ),
      versions_replayed: z.array(z.string()),
    }),
  ),
});
