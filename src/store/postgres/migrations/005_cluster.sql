-- keel: non-breaking
-- The cluster: where a run may go, what a node offers, and the join tokens nodes register with
-- (the SQLite store's 009_cluster.sql says what each column means).
ALTER TABLE runs ADD COLUMN requires text COLLATE "C" NOT NULL DEFAULT '[]';
ALTER TABLE runs ADD COLUMN pool text COLLATE "C" NOT NULL DEFAULT '';
CREATE INDEX runs_placed ON runs (requires, pool) WHERE status = 'pending' AND (requires <> '[]' OR pool <> '');
ALTER TABLE nodes ADD COLUMN pools text COLLATE "C" NOT NULL DEFAULT '{}';
ALTER TABLE nodes ADD COLUMN slots integer NOT NULL DEFAULT 0;
ALTER TABLE nodes ADD COLUMN join_token_id text COLLATE "C";
ALTER TABLE nodes ADD COLUMN drain_deadline bigint;
ALTER TABLE nodes ADD COLUMN progress_at bigint;
ALTER TABLE nodes ADD COLUMN blocked text COLLATE "C";
CREATE TABLE join_tokens (
  id text COLLATE "C" PRIMARY KEY,
  name text COLLATE "C" NOT NULL,
  secret_hash text COLLATE "C" NOT NULL UNIQUE,
  capabilities text COLLATE "C" NOT NULL DEFAULT '[]',
  pools text COLLATE "C" NOT NULL DEFAULT '[]',
  created_at bigint NOT NULL,
  created_by text COLLATE "C" NOT NULL,
  last_used_at bigint,
  revoked_at bigint,
  revoked_by text COLLATE "C"
);
