import {
  unrenderableFromRow,
  unrenderableRunsSql,
  type UnrenderableRun,
} from "../integrity-rows.js";
import type { SqliteContext } from "./context.js";

/** Runs a listing can only show with a marker (integrity-rows.ts); quote() shows a time as stored. */
const sql = unrenderableRunsSql((c) => `quote(${c})`);

export function unrenderableRuns(ctx: SqliteContext): UnrenderableRun[] {
  return (ctx.sql(sql).all() as Record<string, unknown>[]).map(unrenderableFromRow);
}
