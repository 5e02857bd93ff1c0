-- keel: non-breaking
-- keel store schema, version 3: sources, the producers of runs (cron, interval, watch, manual). A node
-- upserts its configured sources at start; `paused` belongs to operators and survives restarts.
-- A tick creates its run once across nodes through the runs' (pipeline, idempotency_key) unique
-- index, with the key `source:<name>:<scheduled time ISO>`. Times are epoch milliseconds.
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
