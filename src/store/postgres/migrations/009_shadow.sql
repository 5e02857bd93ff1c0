-- keel: non-breaking
-- Shadow runs: a new version of a pipeline replayed on a sample of the primary's succeeded runs.
-- The shadow writes here only: its definition, its queue of sampled runs (one claim per run across
-- the cluster) and each step's comparison with the primary's checkpoint.
CREATE TABLE shadows (
  id text COLLATE "C" PRIMARY KEY,
  pipeline text COLLATE "C" NOT NULL,
  -- the module as the operator gave it, and the absolute path the sandbox imports
  module text COLLATE "C" NOT NULL,
  module_resolved text COLLATE "C" NOT NULL,
  version text COLLATE "C" NOT NULL,
  -- the shadow version's steps: [{ step, after }]
  steps text COLLATE "C" NOT NULL,
  sample_rate double precision NOT NULL,
  max_per_minute bigint,
  created_at bigint NOT NULL,
  created_by text COLLATE "C" NOT NULL,
  stopped_at bigint,
  stopped_by text COLLATE "C",
  -- the last primary run looked at (finished_at, id): the next scan starts after it
  cursor_at bigint NOT NULL,
  cursor_id text COLLATE "C" NOT NULL DEFAULT ''
);
-- one active shadow per pipeline
CREATE UNIQUE INDEX shadows_active ON shadows (pipeline) WHERE stopped_at IS NULL;

CREATE TABLE shadow_runs (
  shadow_id text COLLATE "C" NOT NULL,
  run_id text COLLATE "C" NOT NULL,
  -- queued, running, compared, failed
  status text COLLATE "C" NOT NULL,
  queued_at bigint NOT NULL,
  claimed_by text COLLATE "C",
  lease_expires_at bigint,
  attempts integer NOT NULL DEFAULT 0,
  compared_at bigint,
  same integer,
  version text COLLATE "C",
  error text COLLATE "C",
  PRIMARY KEY (shadow_id, run_id)
);
CREATE INDEX shadow_runs_queue ON shadow_runs (status, queued_at) WHERE status IN ('queued', 'running');
CREATE INDEX shadow_runs_compared ON shadow_runs (shadow_id, compared_at);

CREATE TABLE shadow_steps (
  shadow_id text COLLATE "C" NOT NULL,
  run_id text COLLATE "C" NOT NULL,
  step text COLLATE "C" NOT NULL,
  -- same, mismatch, not_checkpointed
  status text COLLATE "C" NOT NULL,
  class text COLLATE "C",
  fields text COLLATE "C" NOT NULL,
  calls text COLLATE "C" NOT NULL,
  note text COLLATE "C",
  PRIMARY KEY (shadow_id, run_id, step)
);
