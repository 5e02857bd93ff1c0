import * as z from "zod";
import { diffGoldens, goldenName, saveGolden } from "../../ops/verify/golden.js";
import { verifyRun } from "../../ops/verify/verify-run.js";
import { none, noBody, operation } from "../operation.js";
import { runId, stepName, text } from "../schemas.js";
import {
  goldenDiffJson,
  goldenDiffSchema,
  goldenJson,
  goldenListSchema,
  goldenSchema,
  verifyJson,
  verifySchema,
} from "../wire/determinism.js";

/** Determinism: replay a run in the sandbox and classify mismatches; golden records and diffs. */
const name = z
  .string()
  .regex(
    goldenName,
    "a golden name: 1-64 letters, digits, _ . - (starting with a letter or digit)",
  );
const ref = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.-]+$/, "a run id or a golden name");

export const verify = operation({
  id: "runs.verify",
  method: "POST",
  path: "/v1/runs/:id/verify",
  role: "operator",
  summary:
    "replay a run's steps in a sandbox N times and classify every mismatch (writes nothing to the run)",
  params: z.object({ id: runId }).strict(),
  query: none,
  body: z
    .union([
      z.undefined(),
      z.null(),
      z
        .object({
          replays: z.number().int().min(1).max(100).optional(),
          from_step: stepName.optional(),
        })
        .strict(),
    ])
    .transform((b) => b ?? {}),
  response: verifySchema,
  async run({ keel, actor }, { params, body }) {
    const replays = body.replays ?? 10;
    const report = await verifyRun(keel, params.id, { replays, fromStep: body.from_step });
    const json = verifyJson(report);
    await keel.store.appendAudit({
      at: Date.now(),
      actor,
      action: "run.verify",
      target: params.id,
      reason: null,
      details: {
        replays,
        from_step: body.from_step ?? null,
        same: json.same,
        classes: report.classes,
      },
    });
    return json;
  },
});

export const saveGoldenOp = operation({
  id: "goldens.save",
  method: "POST",
  path: "/v1/goldens",
  role: "operator",
  summary: "save a run's step outputs as a golden record under a name",
  status: () => 201,
  params: none,
  query: none,
  body: z
    .object({ run: runId, name, note: text.optional(), replace: z.boolean().optional() })
    .strict(),
  response: goldenSchema,
  async run({ keel, actor }, { body }) {
    const golden = await saveGolden(keel, {
      runId: body.run,
      name: body.name,
      note: body.note,
      replace: body.replace,
      actor,
      now: Date.now(),
    });
    return goldenJson(golden);
  },
});

export const listGoldens = operation({
  id: "goldens.list",
  method: "GET",
  path: "/v1/goldens",
  role: "viewer",
  summary: "the golden records, by name",
  params: none,
  query: none,
  body: noBody,
  response: goldenListSchema,
  async run({ keel }) {
    return { goldens: (await keel.store.listGoldens()).map((g) => goldenJson(g)) };
  },
});

export const diffGoldenOp = operation({
  id: "goldens.diff",
  method: "GET",
  path: "/v1/goldens/diff",
  role: "viewer",
  summary: "structural diff of two runs or goldens, step by step, volatile fields masked",
  params: none,
  query: z.object({ a: ref, b: ref }).strict(),
  body: noBody,
  response: goldenDiffSchema,
  async run({ keel }, { query }) {
    return goldenDiffJson(await diffGoldens(keel, query.a, query.b));
  },
});
