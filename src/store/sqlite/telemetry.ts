import { InvalidInputError } from "../../core/errors/definition-errors.js";
import type { Row } from "../rows.js";
import {
  checkTelemetryIncrement,
  minuteMs,
  telemetryFromRow,
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
    for (const inc of increments)
      statement.run(
        inc.minute,
        inc.pipeline,
        inc.step,
        inc.kind,
        inc.label,
        inc.count,
        inc.total,
        inc.max,
        inc.histogram === null ? null : JSON.stringify(inc.histogram),
      );
  });
}

export function readTelemetry(ctx: SqliteContext, query: TelemetryQuery): TelemetryRecord[] {
  const where = ["minute >= ?"];
  const params: unknown[] = [Math.floor(query.since / minuteMs) * minuteMs];
  if (query.until !== undefined) (where.push("minute < ?"), params.push(query.until));
  if (query.pipeline !== undefined) (where.push("pipeline = ?"), params.push(query.pipeline));
  if (query.kinds !== undefined)
    (where.push("kind IN (SELECT value FROM json_each(?))"),
      params.push(JSON.stringify(query.kinds)));
  const rows = ctx
    .sql(
      `SELECT * FROM telemetry WHERE ${where.join(" AND ")} ORDER BY minute, pipeline, step, kind, label`,
    )
    .all(...params) as Row[];
  return rows.map(telemetryFromRow);
}

export function deleteTelemetryBefore(
  ctx: SqliteContext,
  before: number,
  options: TelemetryDeleteOptions,
): TelemetryDeleteResult {
  if (!Number.isFinite(before))
    throw new InvalidInputError("telemetry: before must be an epoch ms time", { field: "before" });
  return ctx.write(() => {
    const counted = ctx
      .sql("SELECT count(*) AS n, count(DISTINCT minute) AS m FROM telemetry WHERE minute < ?")
      .get(before) as Row;
    const result = {
      rows: Number(counted.n),
      minutes: Number(counted.m),
      dryRun: !!options.dryRun,
    };
    if (result.dryRun) return result;
    ctx.sql("DELETE FROM telemetry WHERE minute < ?").run(before);
    const note = options.audit;
    if (note)
      insertAudit(ctx, {
        at: note.now,
        actor: note.actor,
        action: note.action,
        target: "telemetry",
        reason: null,
        details: { ...note.details, before, rows: result.rows, minutes: result.minutes },
      });
    return result;
  });
}
