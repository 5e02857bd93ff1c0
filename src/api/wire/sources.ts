import * as z from "zod";
import type { SourceRecord } from "../../store/sources.js";
import { freeJsonSchema, isoTime, maybeTimeSchema } from "./time.js";

/** The stable JSON shape of a source (docs/cli.md); its input is the run input, as written. */
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

export const sourceSchema = z.strictObject({
  name: z.string(),
  kind: z.enum(["cron", "interval", "watch", "manual"]),
  pipeline: z.string(),
  cron: z.string().nullable(),
  every_ms: z.number().nullable(),
  watch: z.string().nullable(),
  timezone: z.string().nullable(),
  input: freeJsonSchema,
  paused: z.boolean(),
  pause_reason: z.string().nullable(),
  paused_by: z.string().nullable(),
  paused_at: maybeTimeSchema,
  last_tick_at: maybeTimeSchema,
  next_tick_at: maybeTimeSchema,
  updated_at: maybeTimeSchema,
});

export const sourceListSchema = z.strictObject({ sources: z.array(sourceSchema) });
