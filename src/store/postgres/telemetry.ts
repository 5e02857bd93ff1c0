import {
  checkTelemetryIncrement,
  countTelemetryBeforeSql,
  telemetryDeleteAudit,
  telemetryFilter,
  telemetryFromRow,
  telemetryOrder,
  telemetryUpsertParams,
  type TelemetryDeleteOptions,
  type TelemetryDeleteResult,
  type TelemetryIncrement,
  type TelemetryQuery,
  type TelemetryRecord,
} from "../telemetry.js";
import { insertAudit } from "./audit.js";
import type { PgConn } from "./context.js";

/**
 * Telemetry rollups, as on SQLite: the upsert adds counts and totals, keeps the larger max and
 * merges the sparse JSON histograms bucket by bucket inside the database, so two nodes adding to
 * the same minute both count.
 */
const upsert = `INSERT INTO telemetry AS t (minute, pipeline, step, kind, label, count, total, max_ms, histogram)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (minute, pipeline, step, kind, label) DO UPDATE SET
  count = t.count + excluded.count,
  total = t.total + excluded.total,
  max_ms = greatest(t.max_ms, excluded.max_ms),
  histogram = CASE
    WHEN t.histogram IS NULL THEN excluded.histogram
    WHEN excluded.histogram IS NULL THEN t.histogram
    ELSE (SELECT json_object_agg(key, n)::text FROM (
      SELECT key, sum(value::numeric) AS n FROM (
        SELECT key, value FROM json_each_text(t.histogram::json)
        UNION ALL SELECT key, value FROM json_each_text(excluded.histogram::json)
      ) AS buckets GROUP BY key) AS merged)
  END`;

export async function addTelemetry(
  c: PgConn,
  increments: readonly TelemetryIncrement[],
): Promise<void> {
  // rows in key order: two nodes adding to the same minutes lock them in the same order
  const sorted = [...increments].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : 1));
  for (const inc of sorted) await c.run(upsert, telemetryUpsertParams(inc));
}

const keyOf = (i: TelemetryIncrement): string =>
  JSON.stringify([i.minute, i.pipeline, i.step, i.kind, i.label]);

export function checkIncrements(increments: readonly TelemetryIncrement[]): void {
  for (const inc of increments) checkTelemetryIncrement(inc);
}

export async function readTelemetry(c: PgConn, query: TelemetryQuery): Promise<TelemetryRecord[]> {
  const { where, params } = telemetryFilter(query, "kind = ANY(?::text[])", (kinds) => kinds);
  const rows = await c.all(`SELECT * FROM telemetry WHERE ${where} ${telemetryOrder}`, params);
  return rows.map(telemetryFromRow);
}

export async function deleteTelemetryBefore(
  c: PgConn,
  before: number,
  options: TelemetryDeleteOptions,
): Promise<TelemetryDeleteResult> {
  const counted = await c.get<{ n: number; m: number }>(countTelemetryBeforeSql, [before]);
  const result = { rows: counted?.n ?? 0, minutes: counted?.m ?? 0, dryRun: !!options.dryRun };
  if (result.dryRun) return result;
  await c.run("DELETE FROM telemetry WHERE minute < ?", [before]);
  const entry = telemetryDeleteAudit(options, before, result);
  if (entry) await insertAudit(c, entry);
  return result;
}
