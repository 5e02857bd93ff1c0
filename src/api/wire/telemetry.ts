import * as z from "zod";
import { telemetryBuckets } from "../../ops/telemetry-throughput.js";

/**
 * The telemetry documents (docs/cli.md#keel-telemetry). ops/telemetry*.ts writes them in these
 * snake_case shapes, because its reports are documents over a time range, not records; these
 * are their schemas.
 */
const n = z.number();
const range = { since: z.string(), until: z.string(), pipeline: z.string().nullable() };

const throughputRow = {
  pipeline: z.string(),
  runs: z.strictObject({ succeeded: n, quarantined: n, cancelled: n }),
  finished: n,
  runs_per_s: n,
  bytes: n,
  bytes_per_s: n,
  source_bytes: n,
  active_s: n,
  runs_per_s_while_active: n.nullable(),
  bytes_per_s_while_active: n.nullable(),
};

export const throughputSchema = z.strictObject({
  ...range,
  bucket: z.enum(telemetryBuckets),
  series: z.array(z.strictObject({ ...throughputRow, start: z.string() })),
  totals: z.array(z.strictObject(throughputRow)),
});

export const failuresSchema = z.strictObject({
  ...range,
  failures: z.array(
    z.strictObject({ pipeline: z.string(), step: z.string(), code: z.string(), count: n }),
  ),
  quarantines: z.array(z.strictObject({ pipeline: z.string(), reason: z.string(), count: n })),
});

export const latencySchema = z.strictObject({
  ...range,
  steps: z.array(
    z.strictObject({
      pipeline: z.string(),
      step: z.string(),
      count: n,
      avg_ms: n,
      p50_ms: n,
      p95_ms: n,
      p99_ms: n,
      max_ms: n,
    }),
  ),
});

export const telemetryCleanSchema = z.strictObject({
  dry_run: z.boolean(),
  older_than_days: n,
  before: z.string(),
  rows: n,
  minutes: n,
});
