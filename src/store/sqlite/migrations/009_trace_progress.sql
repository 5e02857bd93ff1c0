-- keel: non-breaking
-- The caller's W3C traceparent a run was submitted with (its span is the parent of the run's
-- spans), and each running step's latest progress, one row per run and step.
ALTER TABLE runs ADD COLUMN trace_parent TEXT;
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
-- the event stream's scan: progress reported since its last look
CREATE INDEX step_progress_updated ON step_progress (updated_at);
