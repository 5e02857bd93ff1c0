import * as z from "zod";
import { NotFoundError } from "../../core/errors/definition-errors.js";
import { readRunLogs } from "../../ops/run-logs.js";
import { none, noBody, operation } from "../operation.js";
import { limit } from "../schemas.js";
import { idParams } from "./runs.js";
import { runLogsSchema } from "../wire/logs.js";
import { progressJson, progressSchema } from "../wire/steps.js";

/** What a run is doing, cheaply: its steps' progress (for --wait), and its log lines. */

export const runProgress = operation({
  id: "runs.progress",
  method: "GET",
  path: "/v1/runs/:id/progress",
  role: "viewer",
  summary: "the latest progress report of each step of a run",
  params: idParams,
  query: none,
  body: noBody,
  response: z.strictObject({ progress: z.array(progressSchema) }),
  async run({ keel }, { params }) {
    return { progress: (await keel.store.listProgress(params.id)).map(progressJson) };
  },
});

export const runLogs = operation({
  id: "runs.logs",
  method: "GET",
  path: "/v1/runs/:id/logs",
  role: "viewer",
  summary: "a run's log lines from this node's log files (keel.log and its rotated files)",
  params: idParams,
  query: z.object({ limit: limit(10_000, 1000) }).strict(),
  body: noBody,
  response: runLogsSchema,
  async run({ keel, home }, { params, query }) {
    if (!(await keel.get(params.id))) throw new NotFoundError("run", params.id);
    return readRunLogs(home, params.id, query.limit);
  },
});
