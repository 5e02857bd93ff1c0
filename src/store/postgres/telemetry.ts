import { InvalidInputError } from "../../core/errors/definition-errors.js";
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
  for (const inc of sorted)
    await c.run(upsert, [
      inc.minute,
      inc.pipeline,
      inc.step,
      inc.kind,
      inc.label,
      inc.count,
      inc.total,
      inc.max,
      inc.histogram === null ? null : JSON.stringify(inc.histogram),
    ]);
}

const keyOf = (i: TelemetryIncrement): string =>
  JSON.stringify([i.minute, i.pipeline, i.step, i.kind, i.label]);

export function checkIncrements(increments: readonly TelemetryIncrement[]): void {
  for (const inc of increments) checkTelemetryIncrement(inc);
}

export async function readTelemetry(c: PgConn, query: TelemetryQuery): Promise<TelemetryRecord[]> {
  const where = ["minute >= ?"];
  const params: unknown[] = [Math.floor(query.since / minuteMs) * minuteMs];
  if (query.until !== undefined) (where.push("minute < ?"), params.push(query.until));
  if (query.pipeline !== undefined) (where.push("pipeline = ?"), params.push(query.pipeline));
  if (query.kinds !== undefined) (where.push("kind = ANY(?::text[])"), params.push(query.kinds));
  const rows = await c.all(
    `SELECT * FROM telemetry WHERE ${where.join(" AND ")} ORDER BY minute, pipeline, step, kind, label`,
    params,
  );
  return rows.map(telemetryFromRow);
}

export function checkBefore(before: number): void {
  if (!Number.isFinite(before))
    throw new InvalidInputError("telemetry: before must be an epoch ms time", { field: "before" });
}

export async function deleteTelemetryBefore(
  c: PgConn,
  before: number,
  options: TelemetryDeleteOptions,
): Promise<TelemetryDeleteResult> {
  const counted = await c.get<{ n: number; m: number }>(
    "SELECT count(*) AS n, count(DISTINCT minute) AS m FROM telemetry WHERE minute < ?",
    [before],
  );
  const result = { rows: counted?.n ?? 0, minutes: counted?.m ?? 0, dryRun: !!options.dryRun };
  if (result.dryRun) return result;
  await c.run("DELETE FROM telemetry WHERE minute < ?", [before]);
  const note = options.audit;
  if (note)
    await insertAudit(c, {
      at: note.now,
      actor: note.actor,
      action: note.action,
      target: "telemetry",
      reason: null,
      details: { ...note.details, before, rows: result.rows, minutes: result.minutes },
    });
  return result;
}
