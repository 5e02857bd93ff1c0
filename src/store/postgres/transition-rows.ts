import { transitionParams, type TransitionInput } from "../run-changes.js";

/** One transition's INSERT. */
export const insertTransitionSql =
  "INSERT INTO transitions (run_id, step, from_status, to_status, reason, actor, at, trace_id, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";

/**
 * Many transitions in one INSERT: one array parameter per column, unnested in order, so their ids
 * come in the order the writes asked for them (a run's trail reads in id order).
 */
export const insertTransitionsSql = `INSERT INTO transitions (run_id, step, from_status, to_status, reason, actor, at, trace_id, details)
  SELECT run_id, step, from_status, to_status, reason, actor, at, trace_id, details
  FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::text[], ?::text[])
    WITH ORDINALITY AS t(run_id, step, from_status, to_status, reason, actor, at, trace_id, details, n)
  ORDER BY n`;

/** the parameters of insertTransitionsSql: each column's values, one array per column */
export function transitionColumns(list: readonly TransitionInput[]): unknown[][] {
  const columns: unknown[][] = Array.from({ length: 9 }, () => []);
  for (const t of list) transitionParams(t).forEach((value, i) => columns[i]?.push(value));
  return columns;
}
