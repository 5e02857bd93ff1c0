-- keel: non-breaking
-- The cluster: where a run may go, what a node offers, and the join tokens nodes register with.
-- runs.requires (a JSON array of capabilities) and runs.pool are the placement of the run's next
-- step: a claim takes a run only when the claiming node offers all of `requires` and serves `pool`
-- ('' is every node's default pool). Old nodes ignore both and insert the defaults.
ALTER TABLE runs ADD COLUMN requires TEXT NOT NULL DEFAULT '[]';
ALTER TABLE runs ADD COLUMN pool TEXT NOT NULL DEFAULT '';
-- what health counts: placed runs waiting, by placement (the plain ones are the queue's)
CREATE INDEX runs_placed ON runs (requires, pool) WHERE status = 'pending' AND (requires <> '[]' OR pool <> '');
-- pools: {"gpu": 2}, the slots of each named pool this node serves; slots: its total concurrency
ALTER TABLE nodes ADD COLUMN pools TEXT NOT NULL DEFAULT '{}';
ALTER TABLE nodes ADD COLUMN slots INTEGER NOT NULL DEFAULT 0;
ALTER TABLE nodes ADD COLUMN join_token_id TEXT;
-- a drain's end: past it, the node's remaining runs go back to pending
ALTER TABLE nodes ADD COLUMN drain_deadline INTEGER;
-- the last heartbeat that reported a finished run (the "heartbeats but completes nothing" check)
ALTER TABLE nodes ADD COLUMN progress_at INTEGER;
-- why the node may not claim (token_revoked), set at its heartbeat
ALTER TABLE nodes ADD COLUMN blocked TEXT;
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
