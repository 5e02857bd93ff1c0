import { num, numOrNull, type Row } from "./rows.js";
import type { JsonValue } from "../core/canonical-json.js";

/**
 * Sources, in domain words: named producers of runs. A cron source ticks on a cron expression, an
 * interval source every N ms, a watch source for each new file in a directory, a manual one only
 * when triggered. The definition comes from config
 * (upserted by each node at start); the pause state belongs to operators and is never overwritten
 * by an upsert.
 */
export type SourceKind = "cron" | "interval" | "watch" | "manual";

export interface SourceDefinition {
  name: string;
  kind: SourceKind;
  pipeline: string;
  /** the cron expression, the interval in ms as text, the watched directory, or null for manual */
  schedule: string | null;
  input: JsonValue;
  timezone: string | null;
}

export interface SourceRecord extends SourceDefinition {
  paused: boolean;
  pauseReason: string | null;
  pausedBy: string | null;
  pausedAt: number | null;
  lastTickAt: number | null;
  nextTickAt: number | null;
  updatedAt: number;
}

/** Row -> record, for both backends (numbers may arrive as strings from PostgreSQL). */
export function sourceFromRow(row: Row): SourceRecord {
  return {
    name: row.name as string,
    kind: row.kind as SourceKind,
    pipeline: row.pipeline as string,
    schedule: (row.schedule as string | null) ?? null,
    input: JSON.parse(row.input as string) as SourceRecord["input"],
    timezone: (row.timezone as string | null) ?? null,
    paused: num(row.paused) === 1,
    pauseReason: (row.pause_reason as string | null) ?? null,
    pausedBy: (row.paused_by as string | null) ?? null,
    pausedAt: numOrNull(row.paused_at),
    lastTickAt: numOrNull(row.last_tick_at),
    nextTickAt: numOrNull(row.next_tick_at),
    updatedAt: num(row.updated_at),
  };
}
