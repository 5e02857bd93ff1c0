import { NotFoundError } from "../../core/errors/definition-errors.js";
import type { OperatorChange } from "../operator-change.js";
import { sourceFromRow, type SourceDefinition, type SourceRecord } from "../sources.js";
import type { Row } from "../rows.js";
import { auditChange } from "./audit.js";
import { recordByName, recordsByName, type SqliteContext } from "./context.js";

/** Sources: definitions upserted by nodes, pause state set by operators (with its audit entry). */
export function upsertSources(ctx: SqliteContext, defs: SourceDefinition[], now: number): void {
  ctx.write(() => {
    for (const d of defs) {
      // the pause columns are left alone: a restart never resumes a source an operator paused
      ctx
        .sql(
          `INSERT INTO sources (name, kind, pipeline, schedule, input, timezone, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, pipeline = excluded.pipeline,
             schedule = excluded.schedule, input = excluded.input, timezone = excluded.timezone,
             updated_at = excluded.updated_at`,
        )
        .run(d.name, d.kind, d.pipeline, d.schedule, JSON.stringify(d.input), d.timezone, now);
    }
  });
}

export function listSources(ctx: SqliteContext): SourceRecord[] {
  return recordsByName(ctx, "sources", sourceFromRow);
}

export function getSource(ctx: SqliteContext, name: string): SourceRecord | undefined {
  return recordByName(ctx, "sources", name, sourceFromRow);
}

export function setPaused(
  ctx: SqliteContext,
  name: string,
  paused: boolean,
  change: OperatorChange,
): SourceRecord {
  const { actor, at: now, audit } = change;
  const reason = change.reason ?? null;
  return ctx.write(() => {
    const before = getSource(ctx, name);
    if (!before) throw new NotFoundError("source", name);
    const row = ctx
      .sql(
        `UPDATE sources SET paused = ?, pause_reason = ?, paused_by = ?, paused_at = ?, updated_at = ?
         WHERE name = ? RETURNING *`,
      )
      .get(
        paused ? 1 : 0,
        paused ? reason : null,
        paused ? actor : null,
        paused ? now : null,
        now,
        name,
      ) as Row;
    if (audit)
      auditChange(
        ctx,
        audit,
        { at: now, actor, target: name, reason },
        {
          was_paused: before.paused,
        },
      );
    return sourceFromRow(row);
  });
}

export function recordTick(
  ctx: SqliteContext,
  name: string,
  tickAt: number | null,
  nextAt: number | null,
): void {
  ctx.write(() => {
    // ticks only move forward: a slower node recording an older tick does not rewind the source
    ctx
      .sql(
        `UPDATE sources SET next_tick_at = ?, last_tick_at = CASE WHEN ? IS NULL THEN last_tick_at
           ELSE max(coalesce(last_tick_at, 0), ?) END WHERE name = ?`,
      )
      .run(nextAt, tickAt, tickAt, name);
  });
}
