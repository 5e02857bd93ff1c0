import * as z from "zod";
import { none, noBody, operation } from "../operation.js";
import { sourceName, text } from "../schemas.js";
import { runJson, submittedSchema } from "../wire/runs.js";
import { sourceJson, sourceListSchema, sourceSchema } from "../wire/sources.js";

/** Sources: the producers of runs (cron, interval, directory watch, manual). */
const nameParams = z.object({ name: sourceName }).strict();

export const listSources = operation({
  id: "sources.list",
  method: "GET",
  path: "/v1/sources",
  role: "viewer",
  summary: "every source with its schedule, pause state and last and next tick",
  params: none,
  query: none,
  body: noBody,
  response: sourceListSchema,
  async run({ keel }) {
    return { sources: (await keel.listSources()).map(sourceJson) };
  },
});

export const pauseSource = operation({
  id: "sources.pause",
  method: "POST",
  path: "/v1/sources/:name/pause",
  role: "operator",
  summary: "pause a source: it creates no runs until resumed (survives restarts)",
  params: nameParams,
  query: none,
  body: z.object({ reason: text }).strict(),
  response: sourceSchema,
  async run({ keel, actor }, { params, body }) {
    return sourceJson(await keel.pauseSource(params.name, body.reason, actor));
  },
});

export const resumeSource = operation({
  id: "sources.resume",
  method: "POST",
  path: "/v1/sources/:name/resume",
  role: "operator",
  summary: "resume a paused source",
  params: nameParams,
  query: none,
  body: noBody,
  response: sourceSchema,
  async run({ keel, actor }, { params }) {
    return sourceJson(await keel.resumeSource(params.name, actor));
  },
});

export const triggerSource = operation({
  id: "sources.trigger",
  method: "POST",
  path: "/v1/sources/:name/trigger",
  role: "operator",
  summary: "create one run of the source now, paused or not",
  status: () => 201,
  params: nameParams,
  query: none,
  body: noBody,
  response: submittedSchema,
  async run({ keel, actor }, { params }) {
    const run = await keel.triggerSource(params.name, actor);
    return { ...runJson(run), created: run.created };
  },
});
