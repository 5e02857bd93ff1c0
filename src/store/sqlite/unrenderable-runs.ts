import { maxTimeMs, minTimeMs } from "../../core/duration.js";
import { problemsPerCode } from "../integrity.js";
import type { UnrenderableRun } from "../integrity-rows.js";
import type { SqliteContext } from "./context.js";

/**
 * Runs a listing can only show with a marker: a time outside the range inputs are held to
 * (1970..9999, see core/duration.ts) or an input, output or error that is not JSON. Inputs are
 * range-checked before they are written, so such a row comes from a hand edit, a bug or a store
 * written before the check.
 */
const timeColumns = ["scheduled_for", "created_at", "updated_at", "started_at", "finished_at"];
const jsonColumns = ["input", "output", "error"];

// a text or blob in a time column compares above every number, so NOT BETWEEN catches it too
const badTime = (c: string) => `(${c} IS NOT NULL AND ${c} NOT BETWEEN @min AND @max)`;
const badJson = (c: string) => `(${c} IS NOT NULL AND json_valid(${c}) = 0)`;

const sql = `SELECT id, ${timeColumns.map((c) => `${badTime(c)} AS ${c}`).join(", ")},
  ${jsonColumns.map((c) => `${badJson(c)} AS ${c}`).join(", ")},
  ${timeColumns.map((c) => `quote(${c}) AS ${c}_value`).join(", ")}
  FROM runs WHERE ${[...timeColumns.map(badTime), ...jsonColumns.map(badJson)].join(" OR ")}
  LIMIT @limit`;

export function unrenderableRuns(ctx: SqliteContext): UnrenderableRun[] {
  const rows = ctx
    .sql(sql)
    .all({ min: minTimeMs, max: maxTimeMs, limit: problemsPerCode + 1 }) as Record<
    string,
    unknown
  >[];
  return rows.map((row) => ({
    id: row.id as string,
    what: [
      ...timeColumns.filter((c) => row[c] === 1).map((c) => `${c} = ${String(row[`${c}_value`])}`),
      ...jsonColumns.filter((c) => row[c] === 1).map((c) => `an ${c} that is not JSON`),
    ].join(", "),
  }));
}
