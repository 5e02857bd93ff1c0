import * as z from "zod";
import { KeelErrorCode } from "../../core/errors/codes.js";
import { NotFoundError } from "../../core/errors/definition-errors.js";
import { hasKeelCode } from "../../core/errors/keel-error.js";
import { none, noBody, operation } from "../operation.js";
import { flag, limit, runId, since, status, stepName, text } from "../schemas.js";
import {
  retryJson,
  retrySchema,
  runDetailsJson,
  runDetailsSchema,
  runJson,
  runPageJson,
  runPageSchema,
  runSchema,
  submittedSchema,
} from "../wire/runs.js";

/** Runs: list, show, submit, wait, cancel, retry. */
export const idParams = z.object({ id: runId }).strict();

export const listRuns = operation({
  id: "runs.list",
  method: "GET",
  path: "/v1/runs",
  role: "viewer",
  summary: "list runs, newest first, with cursor pagination",
  params: none,
  query: z
    .object({
      status: status.optional(),
      pipeline: z.string().min(1).max(128).optional(),
      since: since.optional(),
      limit: limit(1000, 50),
      cursor: runId.optional(),
    })
    .strict(),
  body: noBody,
  response: runPageSchema,
  async run({ keel }, { query }) {
    const page = await keel.list(query);
    return runPageJson(page);
  },
});

export const showRun = operation({
  id: "runs.show",
  method: "GET",
  path: "/v1/runs/:id",
  role: "viewer",
  summary: "one run with its steps (outputs, timings), errors and transitions",
  params: idParams,
  query: none,
  body: noBody,
  response: runDetailsSchema,
  async run({ keel }, { params }) {
    const details = await keel.inspect(params.id);
    const [gate] =
      details.run.status === "pending" ? await keel.gates.list({ runId: params.id, limit: 1 }) : [];
    return runDetailsJson(details, gate ?? null);
  },
});

export const submitRun = operation({
  id: "runs.submit",
  method: "POST",
  path: "/v1/runs",
  role: "operator",
  summary: "submit a run of a pipeline; an idempotency key returns the first run again",
  status: (r: { created: boolean }) => (r.created ? 201 : 200),
  params: none,
  query: none,
  body: z
    .object({
      pipeline: z.string().min(1).max(128),
      input: z.json(),
      priority: z.number().int().min(-1_000_000).max(1_000_000).optional(),
      at: z.string().min(1).max(64).optional(),
      idempotency_key: z.string().min(1).max(256).optional(),
    })
    .strict(),
  response: submittedSchema,
  async run({ keel, actor, traceparent }, { body }) {
    const run = await keel.submit(body.pipeline, body.input as never, {
      // the caller's W3C trace context: the run joins its trace (docs/tracing.md)
      traceparent,
      priority: body.priority,
      at: body.at,
      idempotencyKey: body.idempotency_key,
      actor,
      // the CLI names its user in-process (`cli:<user>`) and over HTTP (`token:<name>/cli:<user>`)
      source: /^(token:[^/]+\/)?cli:/.test(actor) ? "cli" : "api",
    });
    return { ...runJson(run), created: run.created };
  },
});

export const waitRun = operation({
  id: "runs.wait",
  method: "GET",
  path: "/v1/runs/:id/wait",
  role: "viewer",
  summary: "the run once it ends, or as it is after timeout_ms (long poll; see `terminal`)",
  params: idParams,
  query: z
    .object({
      timeout_ms: z.coerce.number().int().min(0).max(60_000).default(25_000),
    })
    .strict(),
  body: noBody,
  response: runSchema,
  async run({ keel }, { params, query }) {
    try {
      return runJson(await keel.wait(params.id, { timeoutMs: query.timeout_ms }));
    } catch (error) {
      if (!hasKeelCode(error, KeelErrorCode.waitTimeout)) throw error;
      const run = await keel.get(params.id);
      if (!run) throw new NotFoundError("run", params.id);
      return runJson(run);
    }
  },
});

export const cancelRun = operation({
  id: "runs.cancel",
  method: "POST",
  path: "/v1/runs/:id/cancel",
  role: "operator",
  summary: "cancel a pending or running run; a running step is aborted",
  params: idParams,
  query: none,
  body: z.object({ reason: text }).strict(),
  response: runSchema,
  async run({ keel, actor }, { params, body }) {
    return runJson(await keel.cancel(params.id, body.reason, actor));
  },
});

export const retryRun = operation({
  id: "runs.retry",
  method: "POST",
  path: "/v1/runs/:id/retry",
  role: "operator",
  summary: "retry a quarantined, cancelled or succeeded run, from its last checkpoint or a step",
  params: idParams,
  query: none,
  body: z
    .object({
      note: text,
      from_step: stepName.optional(),
      /** run again every step a fallback served (degraded), and everything downstream */
      redo_degraded: flag.default(false),
    })
    .strict(),
  response: retrySchema,
  async run({ keel, actor }, { params, body }) {
    const result = await keel.retry(params.id, {
      note: body.note,
      fromStep: body.from_step,
      redoDegraded: body.redo_degraded,
      actor,
    });
    return retryJson(result, body.from_step, body.note, body.redo_degraded);
  },
});
