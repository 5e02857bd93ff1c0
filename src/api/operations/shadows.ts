import * as z from "zod";
import { shadowReports } from "../../ops/shadow/shadow-report.js";
import { startShadow, stopShadow } from "../../ops/shadow/shadow-start.js";
import { none, noBody, operation } from "../operation.js";
import {
  shadowJson,
  shadowListSchema,
  shadowReportJson,
  shadowReportSchema,
  shadowSchema,
} from "../wire/shadows.js";

/** Shadow runs: a new version of a pipeline compared with the primary's runs, step by step. */
const pipeline = z.string().min(1).max(128);

export const listShadows = operation({
  id: "shadows.list",
  method: "GET",
  path: "/v1/shadows",
  role: "viewer",
  summary: "the shadows, active and stopped, newest first",
  params: none,
  query: none,
  body: noBody,
  response: shadowListSchema,
  async run({ keel }) {
    return { shadows: (await keel.store.listShadows()).map(shadowJson) };
  },
});

export const startShadowOp = operation({
  id: "shadows.start",
  method: "POST",
  path: "/v1/shadows",
  role: "operator",
  summary:
    "shadow a pipeline with a new version: compare it with a sample of the primary's succeeded runs",
  status: () => 201,
  params: none,
  query: none,
  body: z
    .object({
      pipeline,
      /** the module as given; `module_resolved` is its absolute path (the CLI resolves it) */
      module: z.string().min(1).max(4096),
      module_resolved: z.string().min(1).max(4096).optional(),
      sample_rate: z.number().min(0).max(1).optional(),
      max_per_minute: z.number().int().min(1).max(100_000).optional(),
    })
    .strict(),
  response: shadowSchema,
  async run({ keel, actor }, { body }) {
    const shadow = await startShadow(keel, {
      pipeline: body.pipeline,
      module: body.module,
      moduleResolved: body.module_resolved ?? body.module,
      sampleRate: body.sample_rate ?? 0.1,
      maxPerMinute: body.max_per_minute ?? null,
      actor,
      now: Date.now(),
    });
    return shadowJson(shadow);
  },
});

export const stopShadowOp = operation({
  id: "shadows.stop",
  method: "POST",
  path: "/v1/shadows/:name/stop",
  role: "operator",
  summary: "stop a pipeline's active shadow; what it compared stays for the report",
  params: z.object({ name: pipeline }).strict(),
  query: none,
  body: noBody,
  response: shadowSchema,
  async run({ keel, actor }, { params }) {
    return shadowJson(await stopShadow(keel, params.name, actor, Date.now()));
  },
});

export const shadowReport = operation({
  id: "shadows.report",
  method: "GET",
  path: "/v1/shadows/report",
  role: "viewer",
  summary: "each shadow's comparisons: runs compared, same, and mismatch counts and rates by class",
  params: none,
  query: z.object({ pipeline: pipeline.optional() }).strict(),
  body: noBody,
  response: shadowReportSchema,
  async run({ keel }, { query }) {
    return { reports: (await shadowReports(keel, query.pipeline)).map(shadowReportJson) };
  },
});
