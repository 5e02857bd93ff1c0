-- keel: non-breaking
-- Approval gates: a run that reached an approval gate waits here for a person's decision, pending
-- and due at the gate's timeout (runs.deferred_by = 'gate:<name>'), holding no slot or lease. One
-- row per run and gate: opened once (its first opening is kept), decided once.
CREATE TABLE gates (
  run_id text COLLATE "C" NOT NULL,
  gate text COLLATE "C" NOT NULL,
  pipeline text COLLATE "C" NOT NULL,
  status text COLLATE "C" NOT NULL CHECK (status IN ('open', 'approved', 'rejected')),
  opened_at bigint NOT NULL,
  timeout_at bigint NOT NULL,
  on_timeout text COLLATE "C" NOT NULL CHECK (on_timeout IN ('approve', 'reject')),
  decided_at bigint,
  decided_by text COLLATE "C",
  note text COLLATE "C",
  PRIMARY KEY (run_id, gate)
);

-- the open gates, oldest first: `keel gates list`, the gauges and the wait alert
CREATE INDEX gates_open ON gates (opened_at) WHERE status = 'open';
