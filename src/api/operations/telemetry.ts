import * as z from "zod";
import {
  cleanTelemetry,
  telemetryFailures,
  telemetryLatency,
  telemetryThroughput,
} from "../../ops/telemetry.js";
import { telemetryBuckets } from "../../ops/telemetry-throughput.js";
import { none, noBody, operation } from "../operation.js";
import { flag, since } from "../schemas.js";
import {
  failuresSchema,
  latencySchema,
  telemetryCleanSchema,
  throughputSchema,
} from "../wire/telemetry.js";

/** Telemetry: the per-minute rollups every node of the store writes, summed over a range. */
const range = z
  .object({
    since: since.optional(),
    pipeline: z.string().min(1).max(128).optional(),
  })
  .strict();

export const throughput = operation({
  id: "telemetry.throughput",
  method: "GET",
  path: "/v1/telemetry/throughput",
  role: "viewer",
  summary: "runs that ended (by status) and bytes, per minute, hour or day and pipeline",
  params: none,
  query: range.extend({ bucket: z.enum(telemetryBuckets).optional() }).strict(),
  body: noBody,
  response: throughputSchema,
  run: ({ keel }, { query }) => telemetryThroughput(keel.store, query),
});

export const failures = operation({
  id: "telemetry.failures",
  method: "GET",
  path: "/v1/telemetry/failures",
  role: "viewer",
  summary: "failed step attempts by pipeline, step and code; quarantined runs by reason",
  params: none,
  query: range,
  body: noBody,
  response: failuresSchema,
  run: ({ keel }, { query }) => telemetryFailures(keel.store, query),
});

export const latency = operation({
  id: "telemetry.latency",
  method: "GET",
  path: "/v1/telemetry/latency",
  role: "viewer",
  summary: "step latency per pipeline and step: count, avg, p50, p95, p99, max",
  params: none,
  query: range,
  body: noBody,
  response: latencySchema,
  run: ({ keel }, { query }) => telemetryLatency(keel.store, query),
});

export const clean = operation({
  id: "telemetry.clean",
  method: "POST",
  path: "/v1/telemetry/clean",
  role: "operator",
  summary: "delete rollups older than N days (audited); dry_run counts only",
  params: none,
  query: none,
  body: z
    .object({
      older_than_days: z.number().int().min(1).max(36_500),
      dry_run: flag.default(false),
    })
    .strict(),
  response: telemetryCleanSchema,
  run: ({ keel, actor }, { body }) =>
    cleanTelemetry(keel.store, {
      olderThanDays: body.older_than_days,
      dryRun: body.dry_run,
      actor,
    }),
});
