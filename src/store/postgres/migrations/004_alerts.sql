-- keel: non-breaking
-- keel store schema on PostgreSQL: alerts keel evaluates itself (docs/alerts.md), the same tables
-- and columns as SQLite's alerts migration. Times are epoch milliseconds.
-- The state of each rule, one row per rule that ever left "inactive"; changed only when it still
-- holds the state the evaluator read, so two evaluators racing at a lease handover record a change
-- once.
CREATE TABLE alert_states (
  rule text COLLATE "C" PRIMARY KEY,
  state text COLLATE "C" NOT NULL CHECK (state IN ('inactive', 'pending', 'firing', 'resolved')),
  since bigint NOT NULL,
  value double precision,
  summary text COLLATE "C" NOT NULL DEFAULT '',
  severity text COLLATE "C" NOT NULL DEFAULT '',
  labels text COLLATE "C" NOT NULL DEFAULT '{}',
  updated_at bigint NOT NULL
);

-- append-only: every state change of a rule, and each test notification
CREATE TABLE alert_events (
  id bigserial PRIMARY KEY,
  rule text COLLATE "C" NOT NULL,
  from_state text COLLATE "C" NOT NULL,
  to_state text COLLATE "C" NOT NULL,
  at bigint NOT NULL,
  value double precision,
  summary text COLLATE "C" NOT NULL DEFAULT '',
  severity text COLLATE "C" NOT NULL DEFAULT '',
  labels text COLLATE "C" NOT NULL DEFAULT '{}',
  actor text COLLATE "C" NOT NULL,
  -- deliveries queued for it (0 while silenced or when no receiver matched)
  queued integer NOT NULL DEFAULT 0
);
CREATE INDEX alert_events_rule ON alert_events (rule, id);

-- an operator's silence of one rule until a time: no notification is queued while it lasts
CREATE TABLE alert_silences (
  rule text COLLATE "C" PRIMARY KEY,
  until bigint NOT NULL,
  reason text COLLATE "C" NOT NULL,
  actor text COLLATE "C" NOT NULL,
  at bigint NOT NULL
);

-- the durable webhook outbox: one row per notification and receiver. delivery_id is the stable id
-- the receiver sees (and dedupes on): unique, so a state change queues each receiver once.
CREATE TABLE alert_outbox (
  id bigserial PRIMARY KEY,
  delivery_id text COLLATE "C" NOT NULL UNIQUE,
  receiver text COLLATE "C" NOT NULL,
  event_id bigint,
  payload text COLLATE "C" NOT NULL,
  created_at bigint NOT NULL,
  status text COLLATE "C" NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'delivered', 'dropped')),
  attempts integer NOT NULL DEFAULT 0,
  next_at bigint NOT NULL,
  last_error text COLLATE "C",
  done_at bigint
);
-- each receiver's queue, drained in id order
CREATE INDEX alert_outbox_queue ON alert_outbox (receiver, id) WHERE status = 'queued';

-- the evaluator's lease: the one node that evaluates rules and drains the outbox
CREATE TABLE alert_lease (
  name text COLLATE "C" PRIMARY KEY,
  holder text COLLATE "C" NOT NULL,
  expires_at bigint NOT NULL,
  epoch bigint NOT NULL
);
