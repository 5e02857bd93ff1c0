import { runFromRow, type Row } from "./rows.js";
import type { RunRecord } from "./records.js";

/**
 * A run as a list page shows it: every field of the run, but an input or output larger than
 * `summaryValueBytes` is left out (null here) and a larger error keeps only its code, step and
 * the start of its message; `elided` records the sizes, so a page of a thousand runs never
 * carries their megabytes. `jobs show` reads the run whole.
 */
export type ElidedField = "input" | "output" | "error";
export const elidedFields: readonly ElidedField[] = ["input", "output", "error"];

export interface RunSummary extends RunRecord {
  /** the values left out, with their stored size in bytes; absent when nothing was */
  elided?: Partial<Record<ElidedField, number>>;
}

/** a value above this many bytes (of its stored JSON) is left out of a list page */
export const summaryValueBytes = 4096;
/** a big error's message is cut to this many characters in a summary */
export const errorMessageChars = 1000;
/** a page ends early (with a cursor) once the values it carries pass this many bytes */
export const pageBudgetBytes = 1024 * 1024;
/** what a summary costs besides its values: ids, times, statuses (a generous guess) */
export const summaryOverheadBytes = 512;

/**
 * The row of a list query: the big values arrive as null, with `<field>_bytes` their size. A
 * value that is not JSON (a row edited by hand) is elided too, rather than failing the page.
 */
export function summaryFromRow(row: Row): RunSummary {
  const elided: Partial<Record<ElidedField, number>> = {};
  const values: Row = { ...row };
  for (const field of elidedFields) {
    const bytes = Number(row[`${field}_bytes`] ?? 0);
    if (bytes > summaryValueBytes) elided[field] = bytes;
    if (!parses(row[field])) ((elided[field] = bytes), (values[field] = null));
  }
  const run: RunSummary = runFromRow({ ...values, input: values.input ?? "null" });
  if (elided.input !== undefined) run.input = null;
  if (elided.output !== undefined) run.output = null;
  if (run.error && elided.error !== undefined)
    // json_object names every key; a summary leaves out the ones the error did not have
    run.error = Object.fromEntries(
      Object.entries(run.error).filter(([, v]) => v !== null),
    ) as typeof run.error;
  if (Object.keys(elided).length > 0) run.elided = elided;
  return run;
}

function parses(value: unknown): boolean {
  if (typeof value !== "string") return true;
  try {
    JSON.parse(value);
    return true;
  } catch {
    return false;
  }
}
