-- keel: breaking
-- keel store schema, version 6: circuit breakers shared by every node of the store, the history of
-- their state changes, degraded checkpoints, and runs deferred by an open breaker. A node upserts
-- the policy of the breakers it knows; the state columns change only through the breaker state
-- machine (src/core/breaker.ts), applied in a transaction. Times are epoch milliseconds.
CREATE TABLE breakers (
  name TEXT PRIMARY KEY,
  state TEXT NOT NULL DEFAULT 'closed' CHECK (state IN ('closed', 'open', 'half_open')),
  -- consecutive failures while closed
  failures INTEGER NOT NULL DEFAULT 0,
  opened_at INTEGER,
  -- open: when a trial may start without a probe; half_open: when unanswered trial slots return
  next_attempt_at INTEGER,
  backoff_ms INTEGER NOT NULL DEFAULT 0,
  trial_slots INTEGER NOT NULL DEFAULT 0,
  trial_successes INTEGER NOT NULL DEFAULT 0,
  -- tripped by an operator: stays open until reset
  manual INTEGER NOT NULL DEFAULT 0 CHECK (manual IN (0, 1)),
  reason TEXT,
  failure_threshold INTEGER NOT NULL,
  recovery_timeout_ms INTEGER NOT NULL,
  half_open_requests INTEGER NOT NULL,
  probe INTEGER NOT NULL DEFAULT 0 CHECK (probe IN (0, 1)),
  updated_at INTEGER NOT NULL,
  updated_by TEXT NOT NULL
);

-- append-only: every state change of a breaker, with its reason
CREATE TABLE breaker_transitions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  breaker TEXT NOT NULL,
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL,
  reason TEXT NOT NULL,
  actor TEXT NOT NULL,
  at INTEGER NOT NULL,
  details TEXT
);
CREATE INDEX breaker_transitions_breaker ON breaker_transitions (breaker, id);

-- a checkpoint served by a step's fallback (cached or degraded output); a retry can redo it
ALTER TABLE step_results ADD COLUMN degraded INTEGER NOT NULL DEFAULT 0;

-- the breaker a pending run waits for: when it half-opens or closes, its runs are made due at once,
-- in their old order (priority, then creation)
ALTER TABLE runs ADD COLUMN deferred_by TEXT;
CREATE INDEX runs_deferred ON runs (deferred_by, priority DESC, created_at, id)
  WHERE status = 'pending' AND deferred_by IS NOT NULL;
