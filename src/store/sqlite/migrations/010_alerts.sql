-- keel: non-breaking
-- keel store schema: alerts keel evaluates itself (docs/alerts.md). Times are epoch milliseconds.
-- The state of each rule, one row per rule that ever left "inactive"; changed only when it still
-- holds the state the evaluator read, so two evaluators racing at a lease handover record a change
-- once.
CREATE TABLE alert_states (
  rule TEXT PRIMARY KEY,
  state TEXT NOT NULL CHECK (state IN ('inactive', 'pending', 'firing', 'resolved')),
  since INTEGER NOT NULL,
  value REAL,
  summary TEXT NOT NULL DEFAULT '',
  severity TEXT NOT NULL DEFAULT '',
  labels TEXT NOT NULL DEFAULT '{}',
  updated_at INTEGER NOT NULL
);

-- append-only: every state change of a rule, and each test notification
CREATE TABLE alert_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  rule TEXT NOT NULL,
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL,
  at INTEGER NOT NULL,
  value REAL,
  summary TEXT NOT NULL DEFAULT '',
  severity TEXT NOT NULL DEFAULT '',
  labels TEXT NOT NULL DEFAULT '{}',
  actor TEXT NOT NULL,
  -- deliveries queued for it (0 while silenced or when no receiver matched)
  queued INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX alert_events_rule ON alert_events (rule, id);

-- an operator's silence of one rule until a time: no notification is queued while it lasts
CREATE TABLE alert_silences (
  rule TEXT PRIMARY KEY,
  until INTEGER NOT NULL,
  reason TEXT NOT NULL,
  actor TEXT NOT NULL,
  at INTEGER NOT NULL
);

-- the durable webhook outbox: one row per notification and receiver. delivery_id is the stable id
-- the receiver sees (and dedupes on): unique, so a state change queues each receiver once.
CREATE TABLE alert_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  delivery_id TEXT NOT NULL UNIQUE,
  receiver TEXT NOT NULL,
  event_id INTEGER,
  payload TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'delivered', 'dropped')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER NOT NULL,
  last_error TEXT,
  done_at INTEGER
);
-- each receiver's queue, drained in id order
CREATE INDEX alert_outbox_queue ON alert_outbox (receiver, id) WHERE status = 'queued';

-- the evaluator's lease: the one node that evaluates rules and drains the outbox
CREATE TABLE alert_lease (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  epoch INTEGER NOT NULL
);
