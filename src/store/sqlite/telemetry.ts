import type { Row } from "../rows.js";
import {
  checkTelemetryBefore,
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
import type { SqliteContext } from "./context.js";

/**
 * Telemetry rollups. Nodes add to shared per-minute rows: the upsert adds counts and totals, keeps
 * the larger max and merges the sparse JSON histograms bucket by bucket, all inside SQLite, so two
 * nodes adding to the same minute both count.
 */
const upsert = `INSERT INTO telemetry (minute, pipeline, step, kind, label, count, total, max_ms, histogram)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (minute, pipeline, step, kind, label) DO UPDATE SET
  count = telemetry.count + excluded.count,
  total = telemetry.total + excluded.total,
  max_ms = max(coalesce(telemetry.max_ms, excluded.max_ms), coalesce(excluded.max_ms, telemetry.max_ms)),
  histogram = CASE
    WHEN telemetry.histogram IS NULL THEN excluded.histogram
    WHEN excluded.histogram IS NULL THEN telemetry.histogram
    ELSE (SELECT json_group_object(key, n) FROM (
      SELECT key, sum(value) AS n FROM (
        SELECT key, value FROM json_each(telemetry.histogram)
        UNION ALL SELECT key, value FROM json_each(excluded.histogram)
      ) GROUP BY key))
  END`;

export function addTelemetry(ctx: SqliteContext, increments: readonly TelemetryIncrement[]): void {
  for (const inc of increments) checkTelemetryIncrement(inc);
  ctx.write(() => {
    const statement = ctx.sql(upsert);
    for (const inc of increments) statement.run(...telemetryUpsertParams(inc));
  });
}

export function readTelemetry(ctx: SqliteContext, query: TelemetryQuery): TelemetryRecord[] {
  const { where, params } = telemetryFilter(
    query,
    "kind IN (SELECT value FROM json_each(?))",
    (kinds) => JSON.stringify(kinds),
  );
  const rows = ctx
    .sql(`SELECT * FROM telemetry WHERE ${where} ${telemetryOrder}`)
    .all(...params) as Row[];
  return rows.map(telemetryFromRow);
}

export function deleteTelemetryBefore(
  ctx: SqliteContext,
  before: number,
  options: TelemetryDeleteOptions,
): TelemetryDeleteResult {
  checkTelemetryBefore(before);
  return ctx.write(() => {
    const counted = ctx.sql(countTelemetryBeforeSql).get(before) as Row;
    const result = {
      rows: Number(counted.n),
      minutes: Number(counted.m),
      dryRun: !!options.dryRun,
    };
    if (result.dryRun) return result;
    ctx.sql("DELETE FROM telemetry WHERE minute < ?").run(before);
    const entry = telemetryDeleteAudit(options, before, result);
    if (entry) insertAudit(ctx, entry);
    return result;
  });
}
