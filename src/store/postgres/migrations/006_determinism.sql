-- keel: non-breaking
-- Determinism: what a step's ctx.now() and ctx.fetch returned (JSON), kept with its checkpoint so
-- `keel verify` can replay the step without the clock or the network (NULL for a step that used
-- neither), and golden records.
ALTER TABLE step_results ADD COLUMN recorded text COLLATE "C";

-- golden records: a run's step outputs saved under a name, to diff later runs against
CREATE TABLE goldens (
  name text COLLATE "C" PRIMARY KEY,
  run_id text COLLATE "C" NOT NULL,
  pipeline text COLLATE "C" NOT NULL,
  pipeline_version text COLLATE "C" NOT NULL,
  steps text COLLATE "C" NOT NULL,
  created_at bigint NOT NULL,
  created_by text COLLATE "C" NOT NULL,
  note text COLLATE "C"
);
