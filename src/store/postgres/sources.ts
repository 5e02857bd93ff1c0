import { NotFoundError } from "../../core/errors/definition-errors.js";
import type { OperatorChange } from "../operator-change.js";
import { sourceFromRow, type SourceDefinition, type SourceRecord } from "../sources.js";
import { auditChange } from "./audit.js";
import { recordByName, recordsByName, type PgConn } from "./context.js";

/** Sources: definitions upserted by nodes, pause state set by operators (with its audit entry). */
export async function upsertSources(
  c: PgConn,
  defs: SourceDefinition[],
  now: number,
): Promise<void> {
  for (const d of defs) {
    // the pause columns are left alone: a restart never resumes a source an operator paused
    await c.run(
      `INSERT INTO sources (name, kind, pipeline, schedule, input, timezone, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, pipeline = excluded.pipeline,
         schedule = excluded.schedule, input = excluded.input, timezone = excluded.timezone,
         updated_at = excluded.updated_at`,
      [d.name, d.kind, d.pipeline, d.schedule, JSON.stringify(d.input), d.timezone, now],
    );
  }
}

export function listSources(c: PgConn): Promise<SourceRecord[]> {
  return recordsByName(c, "sources", sourceFromRow);
}

export function getSource(c: PgConn, name: string): Promise<SourceRecord | undefined> {
  return recordByName(c, "sources", name, sourceFromRow);
}

export async function setPaused(
  c: PgConn,
  name: string,
  paused: boolean,
  change: OperatorChange,
): Promise<SourceRecord> {
  const { actor, at: now, audit } = change;
  const reason = change.reason ?? null;
  const before = await recordByName(c, "sources", name, sourceFromRow, true);
  if (!before) throw new NotFoundError("source", name);
  const row = await c.get(
    `UPDATE sources SET paused = ?, pause_reason = ?, paused_by = ?, paused_at = ?, updated_at = ?
     WHERE name = ? RETURNING *`,
    [paused ? 1 : 0, paused ? reason : null, paused ? actor : null, paused ? now : null, now, name],
  );
  if (audit)
    await auditChange(
      c,
      audit,
      { at: now, actor, target: name, reason },
      {
        was_paused: before.paused,
      },
    );
  return sourceFromRow(row ?? {});
}

export async function recordTick(
  c: PgConn,
  name: string,
  tickAt: number | null,
  nextAt: number | null,
): Promise<void> {
  // ticks only move forward: a slower node recording an older tick does not rewind the source
  await c.run(
    `UPDATE sources SET next_tick_at = ?, last_tick_at = CASE WHEN ?::bigint IS NULL THEN last_tick_at
       ELSE greatest(coalesce(last_tick_at, 0), ?::bigint) END WHERE name = ?`,
    [nextAt, tickAt, tickAt, name],
  );
}
