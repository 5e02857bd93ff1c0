import { LeaseLostError } from "../../core/errors/run-errors.js";
import type { JsonValue } from "../../core/canonical-json.js";
import type { Lease } from "../records.js";
import { checkpointParams, checkpointTransitions } from "../run-changes.js";
import type { Checkpoint } from "../store.js";
import { insertTransition, type PgConn } from "./context.js";

/** one completeStep of a batch: the lease, the checkpoint, the run's output when it finishes it */
export interface Completion {
  lease: Lease;
  cp: Checkpoint;
  runOutput?: JsonValue;
}

/**
 * The checkpoints of many runs in one statement (one round trip), each fenced on its own row: a
 * run whose lease moved on updates nothing and gets a LeaseLostError, and only the fenced rows
 * get their checkpoint. The runs must differ (one row is updated once per statement): the group
 * commit sends a run's second completion of a batch in the next statement.
 */
export async function completeSteps(
  c: PgConn,
  list: readonly Completion[],
): Promise<(LeaseLostError | undefined)[]> {
  const cols: unknown[][] = Array.from({ length: 14 }, () => []);
  for (const { lease, cp, runOutput } of list) {
    const values = [
      lease.nodeId,
      lease.epoch,
      runOutput !== undefined,
      runOutput === undefined ? null : JSON.stringify(runOutput),
      ...checkpointParams(lease, cp),
    ];
    values.forEach((value, i) => cols[i]?.push(value));
  }
  const rows = await c.all<{ id: string; trace_id: string }>(completeStepsSql, cols);
  const traces = new Map(rows.map((r) => [r.id, r.trace_id]));
  const outcomes: (LeaseLostError | undefined)[] = [];
  for (const { lease, cp, runOutput } of list) {
    const trace = traces.get(lease.runId);
    if (trace === undefined) {
      outcomes.push(new LeaseLostError(lease.runId, lease.epoch));
      continue;
    }
    const traceId = lease.traceId ?? trace;
    for (const t of checkpointTransitions(lease, cp, traceId, runOutput !== undefined))
      await insertTransition(c, t);
    outcomes.push(undefined);
  }
  return outcomes;
}

// the columns of `i` follow the values above: the fence's, then checkpointParams' order
const completeStepsSql = `WITH i AS (
    SELECT * FROM unnest(?::text[], ?::bigint[], ?::boolean[], ?::text[],
      ?::text[], ?::text[], ?::text[], ?::text[], ?::integer[], ?::text[], ?::bigint[], ?::bigint[], ?::integer[], ?::text[])
      AS i(fence_node, epoch, finishing, run_output,
        run_id, step, output, output_hash, attempt, node_id, started_at, finished_at, degraded, recorded)
  ),
  fenced AS (
    UPDATE runs SET
      status = CASE WHEN i.finishing THEN 'succeeded' ELSE runs.status END,
      output = CASE WHEN i.finishing THEN i.run_output ELSE runs.output END,
      error = CASE WHEN i.finishing THEN NULL ELSE runs.error END,
      node_id = CASE WHEN i.finishing THEN NULL ELSE runs.node_id END,
      lease_expires_at = CASE WHEN i.finishing THEN NULL ELSE runs.lease_expires_at END,
      finished_at = CASE WHEN i.finishing THEN i.finished_at ELSE runs.finished_at END,
      updated_at = i.finished_at
    FROM i
    WHERE runs.id = i.run_id AND runs.node_id = i.fence_node AND runs.lease_epoch = i.epoch
      AND runs.status = 'running'
    RETURNING runs.id, runs.trace_id
  ),
  saved AS (
    INSERT INTO step_results (run_id, step, output, output_hash, attempt, node_id, started_at, finished_at, degraded, recorded)
    SELECT i.run_id, i.step, i.output, i.output_hash, i.attempt, i.node_id, i.started_at, i.finished_at, i.degraded, i.recorded
    FROM i JOIN fenced ON fenced.id = i.run_id
  )
  SELECT id, trace_id FROM fenced`;
