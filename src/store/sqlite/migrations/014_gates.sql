-- keel: non-breaking
-- Approval gates: a run that reached an approval gate waits here for a person's decision, pending
-- and due at the gate's timeout (runs.deferred_by = 'gate:<name>'), holding no slot or lease. One
-- row per run and gate: opened once (its first opening is kept), decided once.
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

-- the open gates, oldest first: `keel gates list`, the gauges and the wait alert
CREATE INDEX gates_open ON gates (opened_at) WHERE status = 'open';
