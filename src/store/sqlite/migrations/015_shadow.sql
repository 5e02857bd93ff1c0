-- keel: non-breaking
-- Shadow runs: a new version of a pipeline replayed on a sample of the primary's succeeded runs.
-- The shadow writes here only: its definition, its queue of sampled runs (one claim per run across
-- the cluster) and each step's comparison with the primary's checkpoint.
CREATE TABLE shadows (
  id TEXT PRIMARY KEY,
  pipeline TEXT NOT NULL,
  -- the module as the operator gave it, and the absolute path the sandbox imports
  module TEXT NOT NULL,
  module_resolved TEXT NOT NULL,
  version TEXT NOT NULL,
  -- the shadow version's steps: [{ step, after }]
  steps TEXT NOT NULL,
  sample_rate REAL NOT NULL,
  max_per_minute INTEGER,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  stopped_at INTEGER,
  stopped_by TEXT,
  -- the last primary run looked at (finished_at, id): the next scan starts after it
  cursor_at INTEGER NOT NULL,
  cursor_id TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
-- one active shadow per pipeline
CREATE UNIQUE INDEX shadows_active ON shadows (pipeline) WHERE stopped_at IS NULL;

CREATE TABLE shadow_runs (
  shadow_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  -- queued, running, compared, failed
  status TEXT NOT NULL,
  queued_at INTEGER NOT NULL,
  claimed_by TEXT,
  lease_expires_at INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0,
  compared_at INTEGER,
  same INTEGER,
  version TEXT,
  error TEXT,
  PRIMARY KEY (shadow_id, run_id)
) WITHOUT ROWID;
CREATE INDEX shadow_runs_queue ON shadow_runs (status, queued_at) WHERE status IN ('queued', 'running');
CREATE INDEX shadow_runs_compared ON shadow_runs (shadow_id, compared_at);

CREATE TABLE shadow_steps (
  shadow_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  step TEXT NOT NULL,
  -- same, mismatch, not_checkpointed
  status TEXT NOT NULL,
  class TEXT,
  fields TEXT NOT NULL,
  calls TEXT NOT NULL,
  note TEXT,
  PRIMARY KEY (shadow_id, run_id, step)
) WITHOUT ROWID;
