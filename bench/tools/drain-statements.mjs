// The statements keel's SQLite store runs for a drained one-step run, prepared on a bare
// connection for the floor tools (sql-floor.mjs, thread-split.mjs). A claim picks whole rows
// (`pick`, as arrays, as the store reads them), then updates each by id without RETURNING; the
// store sets the UPDATE's values in the rows itself. The finish, too, runs without RETURNING: the
// claim gave the trace id. `returning` holds the earlier statements that read both back.

export const transitionColumns =
  "run_id, step, from_status, to_status, reason, actor, at, trace_id, details";

export function prepareDrainStatements(db) {
  const runColumns = db
    .prepare("SELECT * FROM runs LIMIT 0")
    .columns()
    .map((c) => c.name);
  return {
    pick: db
      .prepare(
        `SELECT * FROM runs INDEXED BY runs_claim WHERE status = 'pending' AND scheduled_for <= ?
           AND pipeline IN (SELECT value FROM json_each(?)) AND priority >= ?
         ORDER BY priority DESC, scheduled_for, id LIMIT ?`,
      )
      .raw(true),
    claim: db.prepare(
      `UPDATE runs SET status = 'running', node_id = ?, lease_epoch = lease_epoch + 1,
         lease_expires_at = ?, started_at = coalesce(started_at, ?), updated_at = ?
       WHERE id = ? AND status = 'pending'`,
    ),
    transition: db.prepare(
      `INSERT INTO transitions (${transitionColumns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    checkpoints: db.prepare(
      "SELECT * FROM step_results WHERE run_id IN (SELECT value FROM json_each(?))",
    ),
    finish: db.prepare(
      `UPDATE runs SET status = 'succeeded', output = ?, error = NULL, node_id = NULL,
         lease_expires_at = NULL, finished_at = ?, updated_at = ?
       WHERE id = ? AND node_id = ? AND lease_epoch = ? AND status = 'running'`,
    ),
    returning: {
      ids: db
        .prepare(
          `SELECT id FROM runs INDEXED BY runs_claim WHERE status = 'pending' AND scheduled_for <= ?
             AND pipeline IN (SELECT value FROM json_each(?)) AND priority >= ?
           ORDER BY priority DESC, scheduled_for, id LIMIT ?`,
        )
        .pluck(),
      claim: db
        .prepare(
          `UPDATE runs SET status = 'running', node_id = ?, lease_epoch = lease_epoch + 1,
             lease_expires_at = ?, started_at = coalesce(started_at, ?), updated_at = ?
           WHERE id = ? RETURNING *`,
        )
        .raw(true),
      finish: db
        .prepare(
          `UPDATE runs SET status = 'succeeded', output = ?, error = NULL, node_id = NULL,
             lease_expires_at = NULL, finished_at = ?, updated_at = ?
           WHERE id = ? AND node_id = ? AND lease_epoch = ? AND status = 'running' RETURNING trace_id`,
        )
        .pluck(),
    },
    stepResult: db.prepare(
      `INSERT INTO step_results (run_id, step, output, output_hash, attempt, node_id, started_at,
         finished_at, degraded) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    /** where a runs row (as `pick` and `returning.claim` read it) holds these columns */
    columns: {
      idAt: runColumns.indexOf("id"),
      epochAt: runColumns.indexOf("lease_epoch"),
      traceAt: runColumns.indexOf("trace_id"),
    },
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

/**
 * Claims up to `limit` runs as the store does: [{ id, epoch, traceId, row }], the row's values as
 * they are after the claim's UPDATE (lease_epoch bumped). `returning`: with the earlier statements.
 */
export function claimDrainRuns(st, node, at, limit, returning = false) {
  const { idAt, epochAt, traceAt } = st.columns;
  if (returning) {
    const ids = st.returning.ids.all(at, '["noop"]', -1e9, limit);
    return ids.map((id) => {
      const row = st.returning.claim.get(node, at + 5000, at, at, id);
      return { id, epoch: row[epochAt], traceId: row[traceAt], row };
    });
  }
  const claimed = [];
  for (const row of st.pick.all(at, '["noop"]', -1e9, limit)) {
    if (st.claim.run(node, at + 5000, at, at, row[idAt]).changes !== 1) continue;
    row[epochAt] += 1;
    claimed.push({ id: row[idAt], epoch: row[epochAt], traceId: row[traceAt], row });
  }
  return claimed;
}

/** The fenced finish of a claimed run: its trace id, or undefined when the lease moved on. */
export function finishDrainRun(st, run, node, at, output, returning = false) {
  if (returning) return st.returning.finish.get(output, at, at, run.id, node, run.epoch);
  return st.finish.run(output, at, at, run.id, node, run.epoch).changes === 1
    ? run.traceId
    : undefined;
}
