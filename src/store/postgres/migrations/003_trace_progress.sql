-- keel: non-breaking
-- The caller's W3C traceparent a run was submitted with (its span is the parent of the run's
-- spans), and each running step's latest progress, one row per run and step (as SQLite's 009).
ALTER TABLE runs ADD COLUMN trace_parent text COLLATE "C";
CREATE TABLE step_progress (
  run_id text COLLATE "C" NOT NULL,
  step text COLLATE "C" NOT NULL,
  attempt integer NOT NULL,
  done double precision,
  total double precision,
  message text COLLATE "C",
  updated_at bigint NOT NULL,
  PRIMARY KEY (run_id, step)
);
CREATE INDEX step_progress_updated ON step_progress (updated_at);
