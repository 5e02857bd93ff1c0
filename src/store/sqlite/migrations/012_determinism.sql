-- keel: non-breaking
-- Determinism: what a step's ctx.now() and ctx.fetch returned (JSON), kept with its checkpoint so
-- `keel verify` can replay the step without the clock or the network (NULL for a step that used
-- neither), and golden records.
ALTER TABLE step_results ADD COLUMN recorded TEXT;

-- golden records: a run's step outputs saved under a name, to diff later runs against
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
