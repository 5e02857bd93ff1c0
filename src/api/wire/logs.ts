import * as z from "zod";

/** `keel jobs logs` and `GET /v1/runs/:id/logs`: a run's log lines, each as the node wrote it. */
export const runLogsSchema = z.strictObject({
  run_id: z.string(),
  // pino's JSON lines: time, level, msg, runId, traceId, step, attempt and what else was logged
  lines: z.array(z.record(z.string(), z.unknown())),
  files: z.array(z.string()),
  truncated: z.boolean(),
});
