// The statements keel's SQLite store runs for a drained one-step run, prepared on a bare
// connection for the floor tools (sql-floor.mjs, thread-split.mjs). The claim's rows come back as
// row objects; call `.raw(true)` on it for arrays, as the store reads them.

export const transitionColumns =
  "run_id, step, from_status, to_status, reason, actor, at, trace_id, details";

export function prepareDrainStatements(db) {
  return {
    ids: db
      .prepare(
        `SELECT id FROM runs INDEXED BY runs_claim WHERE status = 'pending' AND scheduled_for <= ?
           AND pipeline IN (SELECT value FROM json_each(?)) AND priority >= ?
         ORDER BY priority DESC, scheduled_for, id LIMIT ?`,
      )
      .pluck(),
    claim: db.prepare(
      `UPDATE runs SET status = 'running', node_id = ?, lease_epoch = lease_epoch + 1,
         lease_expires_at = ?, started_at = coalesce(started_at, ?), updated_at = ?
       WHERE id = ? RETURNING *`,
    ),
    transition: db.prepare(
      `INSERT INTO transitions (${transitionColumns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    checkpoints: db.prepare(
      "SELECT * FROM step_results WHERE run_id IN (SELECT value FROM json_each(?))",
    ),
    finish: db
      .prepare(
        `UPDATE runs SET status = 'succeeded', output = ?, error = NULL, node_id = NULL,
           lease_expires_at = NULL, finished_at = ?, updated_at = ?
         WHERE id = ? AND node_id = ? AND lease_epoch = ? AND status = 'running' RETURNING trace_id`,
      )
      .pluck(),
    stepResult: db.prepare(
      `INSERT INTO step_results (run_id, step, output, output_hash, attempt, node_id, started_at,
         finished_at, degraded) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    begin: db.prepare("BEGIN IMMEDIATE"),
    commit: db.prepare("COMMIT"),
  };
}

/**
 * The four transition rows of a drained one-step run, as the arguments of the `transition`
 * statement: the claim's, then the three its finish writes, with the details keel's store writes.
 */
export const drainTransitions = {
  claimed: (id, node, at, traceId, epoch) => [
    id,
    null,
    "pending",
    "running",
    "claimed",
    node,
    at,
    traceId,
    `{"epoch":${epoch}}`,
  ],
  started: (id, node, at, traceId) => [
    id,
    "noop",
    "pending",
    "running",
    "started",
    node,
    at,
    traceId,
    '{"attempt":1}',
  ],
  checkpoint: (id, node, at, traceId) => [
    id,
    "noop",
    "running",
    "succeeded",
    "checkpoint",
    node,
    at,
    traceId,
    '{"attempt":1,"ms":0}',
  ],
  completed: (id, node, at, traceId) => [
    id,
    null,
    "running",
    "succeeded",
    "completed",
    node,
    at,
    traceId,
    null,
  ],
};
