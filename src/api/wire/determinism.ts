import * as z from "zod";
import type { GoldenRecord } from "../../store/goldens.js";
import type { GoldenDiff } from "../../ops/verify/golden.js";
import type { VerifyReport } from "../../ops/verify/verify-run.js";
import { freeJsonSchema, isoTime, maybeTimeSchema } from "./time.js";

/** `keel verify`, `keel golden save|list|diff`: what the determinism operations answer. */
const fieldSchema = z.strictObject({ path: z.string(), a: freeJsonSchema, b: freeJsonSchema });
const classes = [
  "VOLATILE_LEAK",
  "SEED_MISMATCH",
  "UNSEEDED_RNG",
  "EXTERNAL_CALL",
  "DETERMINISM_VIOLATION",
] as const;

export function verifyJson(r: VerifyReport) {
  return {
    run: r.run.id,
    pipeline: r.run.pipeline,
    pipeline_version: r.run.pipelineVersion,
    replayed_version: r.replayedVersion,
    replays: r.replays,
    same: r.steps.every((s) => s.status !== "mismatch"),
    classes: r.classes,
    steps: r.steps.map((s) => ({
      step: s.step,
      status: s.status,
      class: s.class,
      recorded_hash: s.recordedHash,
      replay_hashes: s.hashes,
      // "a" is the first replay (or the record, for SEED_MISMATCH), "b" the one that differs
      fields: s.fields,
      calls: s.calls,
      note: s.note,
    })),
  };
}

export const verifySchema = z.strictObject({
  run: z.string(),
  pipeline: z.string(),
  pipeline_version: z.string(),
  replayed_version: z.string(),
  replays: z.number(),
  same: z.boolean(),
  classes: z.partialRecord(z.enum(classes), z.number()),
  steps: z.array(
    z.strictObject({
      step: z.string(),
      status: z.enum(["same", "mismatch", "not_checkpointed"]),
      class: z.enum(classes).nullable(),
      recorded_hash: z.string().nullable(),
      replay_hashes: z.array(z.string()),
      fields: z.array(fieldSchema),
      calls: z.array(z.string()),
      note: z.string().nullable(),
    }),
  ),
});

export function goldenJson(g: GoldenRecord, withOutputs = false) {
  return {
    name: g.name,
    run: g.runId,
    pipeline: g.pipeline,
    pipeline_version: g.pipelineVersion,
    created_at: isoTime(g.createdAt),
    created_by: g.createdBy,
    note: g.note,
    steps: g.steps.map((s) => ({
      step: s.step,
      output_hash: s.outputHash,
      ...(withOutputs ? { output: s.output } : {}),
    })),
  };
}

export const goldenSchema = z.strictObject({
  name: z.string(),
  run: z.string(),
  pipeline: z.string(),
  pipeline_version: z.string(),
  created_at: maybeTimeSchema,
  created_by: z.string(),
  note: z.string().nullable(),
  steps: z.array(
    z.strictObject({
      step: z.string(),
      output_hash: z.string(),
      output: freeJsonSchema.optional(),
    }),
  ),
});

export const goldenListSchema = z.strictObject({ goldens: z.array(goldenSchema) });

const sideSchema = z.strictObject({
  kind: z.enum(["run", "golden"]),
  id: z.string(),
  pipeline: z.string(),
  version: z.string(),
});

export function goldenDiffJson(d: GoldenDiff) {
  return { a: d.a, b: d.b, same: d.same, steps: d.steps };
}

export const goldenDiffSchema = z.strictObject({
  a: sideSchema,
  b: sideSchema,
  same: z.boolean(),
  steps: z.array(
    z.strictObject({
      step: z.string(),
      status: z.enum(["same", "different", "only_in_a", "only_in_b"]),
      fields: z.array(fieldSchema),
    }),
  ),
});
