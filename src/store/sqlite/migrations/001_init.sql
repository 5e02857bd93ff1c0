-- keel: breaking
-- keel store schema, version 1. Times are epoch milliseconds.
CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  pipeline TEXT NOT NULL,
  pipeline_version TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'quarantined', 'cancelled')),
  input TEXT NOT NULL,
  output TEXT,
  error TEXT,
  quarantine_reason TEXT,
  priority INTEGER NOT NULL DEFAULT 0,
  idempotency_key TEXT,
  source TEXT NOT NULL DEFAULT 'manual',
  trace_id TEXT NOT NULL,
  seed INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  step_attempts TEXT NOT NULL DEFAULT '{}',
  scheduled_for INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  node_id TEXT,
  lease_epoch INTEGER NOT NULL DEFAULT 0,
  lease_expires_at INTEGER
);

-- one run per (pipeline, key): a repeated submit returns the first run
CREATE UNIQUE INDEX runs_idempotency ON runs (pipeline, idempotency_key) WHERE idempotency_key IS NOT NULL;
-- the claimer's scan: highest priority, then due first (claims name it with INDEXED BY: without
-- statistics the planner prefers runs_status and sorts every pending run)
CREATE INDEX runs_claim ON runs (priority DESC, scheduled_for, id) WHERE status = 'pending';
-- when the next delayed run falls due
CREATE INDEX runs_due ON runs (scheduled_for) WHERE status = 'pending';
CREATE INDEX runs_status ON runs (status, id);
CREATE INDEX runs_pipeline ON runs (pipeline, id);
-- runs in flight, by node (heartbeats, releases); the lease sweep scans it whole: it holds only
-- what all nodes run at once. One index, not two: every claim and finish rewrites its entries.
CREATE INDEX runs_running ON runs (node_id, lease_expires_at) WHERE status = 'running';
CREATE INDEX runs_quarantine ON runs (quarantine_reason, id) WHERE status = 'quarantined';

-- checkpoints: one row per (run, step), written once
CREATE TABLE step_results (
  run_id TEXT NOT NULL,
  step TEXT NOT NULL,
  output TEXT NOT NULL,
  output_hash TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  node_id TEXT,
  started_at INTEGER NOT NULL,
  finished_at INTEGER NOT NULL,
  PRIMARY KEY (run_id, step)
) WITHOUT ROWID;

-- the append-only audit trail; state can be rebuilt from it
CREATE TABLE transitions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL,
  step TEXT,
  from_status TEXT,
  to_status TEXT NOT NULL,
  reason TEXT NOT NULL,
  actor TEXT NOT NULL,
  at INTEGER NOT NULL,
  trace_id TEXT,
  details TEXT
);
CREATE INDEX transitions_run ON transitions (run_id, id);

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  updated_by TEXT NOT NULL
);

CREATE TABLE nodes (
  id TEXT PRIMARY KEY,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  capabilities TEXT NOT NULL DEFAULT '[]',
  state TEXT NOT NULL CHECK (state IN ('active', 'draining', 'offline')),
  version TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  heartbeat_at INTEGER NOT NULL
);

CREATE TABLE pipelines (
  name TEXT PRIMARY KEY,
  version TEXT NOT NULL,
  definition TEXT NOT NULL,
  registered_at INTEGER NOT NULL
);
