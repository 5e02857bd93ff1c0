-- keel's SQLite schema after every migration. Made by KEEL_UPDATE_SCHEMA=1 npx vitest run test/store/schema-snapshot.test.ts
-- 1 init (breaking)
-- 2 audit_log (breaking)
-- 3 sources
-- 4 tokens (breaking)
-- 5 telemetry
-- 6 breakers (breaking)
-- 7 node_process
-- 8 transition_ids (breaking)
-- 9 trace_progress
-- 10 alerts
-- 11 cluster
-- 12 determinism
-- 13 runs_ended
-- 14 gates
-- 15 shadow

CREATE TABLE alert_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  rule TEXT NOT NULL,
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL,
  at INTEGER NOT NULL,
  value REAL,
  summary TEXT NOT NULL DEFAULT '',
  severity TEXT NOT NULL DEFAULT '',
  labels TEXT NOT NULL DEFAULT '{}',
  actor TEXT NOT NULL,
  -- deliveries queued for it (0 while silenced or when no receiver matched)
  queued INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX alert_events_rule ON alert_events (rule, id);

CREATE TABLE alert_lease (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  epoch INTEGER NOT NULL
);

CREATE TABLE alert_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  delivery_id TEXT NOT NULL UNIQUE,
  receiver TEXT NOT NULL,
  event_id INTEGER,
  payload TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'delivered', 'dropped')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER NOT NULL,
  last_error TEXT,
  done_at INTEGER
);

CREATE INDEX alert_outbox_queue ON alert_outbox (receiver, id) WHERE status = 'queued';

CREATE TABLE alert_silences (
  rule TEXT PRIMARY KEY,
  until INTEGER NOT NULL,
  reason TEXT NOT NULL,
  actor TEXT NOT NULL,
  at INTEGER NOT NULL
);

CREATE TABLE alert_states (
  rule TEXT PRIMARY KEY,
  state TEXT NOT NULL CHECK (state IN ('inactive', 'pending', 'firing', 'resolved')),
  since INTEGER NOT NULL,
  value REAL,
  summary TEXT NOT NULL DEFAULT '',
  severity TEXT NOT NULL DEFAULT '',
  labels TEXT NOT NULL DEFAULT '{}',
  updated_at INTEGER NOT NULL
);

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT,
  reason TEXT,
  details TEXT
);

CREATE INDEX audit_log_at ON audit_log (at);

CREATE TABLE breaker_transitions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  breaker TEXT NOT NULL,
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL,
  reason TEXT NOT NULL,
  actor TEXT NOT NULL,
  at INTEGER NOT NULL,
  details TEXT
);

CREATE INDEX breaker_transitions_breaker ON breaker_transitions (breaker, id);

CREATE TABLE breakers (
  name TEXT PRIMARY KEY,
  state TEXT NOT NULL DEFAULT 'closed' CHECK (state IN ('closed', 'open', 'half_open')),
  -- consecutive failures while closed
  failures INTEGER NOT NULL DEFAULT 0,
  opened_at INTEGER,
  -- open: when a trial may start without a probe; half_open: when unanswered trial slots return
  next_attempt_at INTEGER,
  backoff_ms INTEGER NOT NULL DEFAULT 0,
  trial_slots INTEGER NOT NULL DEFAULT 0,
  trial_successes INTEGER NOT NULL DEFAULT 0,
  -- tripped by an operator: stays open until reset
  manual INTEGER NOT NULL DEFAULT 0 CHECK (manual IN (0, 1)),
  reason TEXT,
  failure_threshold INTEGER NOT NULL,
  recovery_timeout_ms INTEGER NOT NULL,
  half_open_requests INTEGER NOT NULL,
  probe INTEGER NOT NULL DEFAULT 0 CHECK (probe IN (0, 1)),
  updated_at INTEGER NOT NULL,
  updated_by TEXT NOT NULL
);

CREATE TABLE gates (
  run_id TEXT NOT NULL,
  gate TEXT NOT NULL,
  pipeline TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open', 'approved', 'rejected')),
  opened_at INTEGER NOT NULL,
  timeout_at INTEGER NOT NULL,
  on_timeout TEXT NOT NULL CHECK (on_timeout IN ('approve', 'reject')),
  decided_at INTEGER,
  decided_by TEXT,
  note TEXT,
  PRIMARY KEY (run_id, gate)
) WITHOUT ROWID;

CREATE INDEX gates_open ON gates (opened_at) WHERE status = 'open';

CREATE TABLE goldens (
  name TEXT PRIMARY KEY,
  run_id TEXT NOT NULL,
  pipeline TEXT NOT NULL,
  pipeline_version TEXT NOT NULL,
  steps TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  note TEXT
) WITHOUT ROWID;

CREATE TABLE join_tokens (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  secret_hash TEXT NOT NULL UNIQUE,
  capabilities TEXT NOT NULL DEFAULT '[]',
  pools TEXT NOT NULL DEFAULT '[]',
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  last_used_at INTEGER,
  revoked_at INTEGER,
  revoked_by TEXT
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
, process_space TEXT, process_start INTEGER, pools TEXT NOT NULL DEFAULT '{}', slots INTEGER NOT NULL DEFAULT 0, join_token_id TEXT, drain_deadline INTEGER, progress_at INTEGER, blocked TEXT);

CREATE TABLE pipelines (
  name TEXT PRIMARY KEY,
  version TEXT NOT NULL,
  definition TEXT NOT NULL,
  registered_at INTEGER NOT NULL
);

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
, deferred_by TEXT, trace_parent TEXT, requires TEXT NOT NULL DEFAULT '[]', pool TEXT NOT NULL DEFAULT '');

CREATE INDEX runs_claim ON runs (priority DESC, scheduled_for, id) WHERE status = 'pending';

CREATE INDEX runs_deferred ON runs (deferred_by, priority DESC, created_at, id)
  WHERE status = 'pending' AND deferred_by IS NOT NULL;

CREATE INDEX runs_due ON runs (scheduled_for) WHERE status = 'pending';

CREATE INDEX runs_ended ON runs (status, finished_at, id)
  WHERE status IN ('succeeded', 'cancelled');

CREATE UNIQUE INDEX runs_idempotency ON runs (pipeline, idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE INDEX runs_pipeline ON runs (pipeline, id);

CREATE INDEX runs_placed ON runs (requires, pool) WHERE status = 'pending' AND (requires <> '[]' OR pool <> '');

CREATE INDEX runs_quarantine ON runs (quarantine_reason, id) WHERE status = 'quarantined';

CREATE INDEX runs_running ON runs (node_id, lease_expires_at) WHERE status = 'running';

CREATE INDEX runs_status ON runs (status, id);

CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL, breaking INTEGER);

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  updated_by TEXT NOT NULL
);

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

CREATE INDEX shadow_runs_compared ON shadow_runs (shadow_id, compared_at);

CREATE INDEX shadow_runs_queue ON shadow_runs (status, queued_at) WHERE status IN ('queued', 'running');

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

CREATE UNIQUE INDEX shadows_active ON shadows (pipeline) WHERE stopped_at IS NULL;

CREATE TABLE sources (
  name TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('cron', 'interval', 'manual', 'watch')),
  pipeline TEXT NOT NULL,
  schedule TEXT,
  input TEXT NOT NULL,
  timezone TEXT,
  paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
  pause_reason TEXT,
  paused_by TEXT,
  paused_at INTEGER,
  last_tick_at INTEGER,
  next_tick_at INTEGER,
  updated_at INTEGER NOT NULL
);

CREATE TABLE sqlite_sequence(name,seq);

CREATE TABLE step_progress (
  run_id TEXT NOT NULL,
  step TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  done REAL,
  total REAL,
  message TEXT,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (run_id, step)
);

CREATE INDEX step_progress_updated ON step_progress (updated_at);

CREATE TABLE step_results (
  run_id TEXT NOT NULL,
  step TEXT NOT NULL,
  output TEXT NOT NULL,
  output_hash TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  node_id TEXT,
  started_at INTEGER NOT NULL,
  finished_at INTEGER NOT NULL, degraded INTEGER NOT NULL DEFAULT 0, recorded TEXT,
  PRIMARY KEY (run_id, step)
) WITHOUT ROWID;

CREATE TABLE telemetry (
  minute INTEGER NOT NULL,
  pipeline TEXT NOT NULL,
  step TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL,
  label TEXT NOT NULL DEFAULT '',
  count INTEGER NOT NULL DEFAULT 0,
  total REAL NOT NULL DEFAULT 0,
  max_ms REAL,
  histogram TEXT,
  -- minute first: reads are time ranges, retention deletes everything before a minute
  PRIMARY KEY (minute, pipeline, step, kind, label)
) WITHOUT ROWID;

CREATE TABLE tokens (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
  secret_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  last_used_at INTEGER,
  revoked_at INTEGER,
  revoked_by TEXT
);

CREATE INDEX tokens_name ON tokens (name);

CREATE TABLE transition_ids (high_water INTEGER NOT NULL);

CREATE TABLE "transitions" (
  id INTEGER PRIMARY KEY,
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
