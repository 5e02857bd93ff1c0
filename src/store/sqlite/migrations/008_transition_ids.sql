-- keel: breaking
-- Transition ids without AUTOINCREMENT. AUTOINCREMENT wrote sqlite_sequence on every insert, a
-- quarter of the cost of a transition row (bench/README.md). The ids must still never be handed
-- out twice: the event feed pages by `id > cursor`, and a purge may delete the newest rows. So the
-- store hands out ids itself, above both the newest row and `transition_ids.high_water`, which a
-- purge raises to the largest id it saw; this migration starts it at the last id AUTOINCREMENT
-- gave out. The table is copied whole (every row keeps its id).
CREATE TABLE transition_ids (high_water INTEGER NOT NULL);
INSERT INTO transition_ids (high_water)
  SELECT max(
    coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'transitions'), 0),
    coalesce((SELECT max(id) FROM transitions), 0)
  );

CREATE TABLE transitions_next (
  id INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL,
  step TEXT,
  from_status TEXT,
  to_status TEXT NOT NULL,
  reason TEXT NOT NULL,
  actor TEXT NOT NULL,
  at INTEGER NOT NULL,
  trace_id TEXT,
  details TEXT
);
INSERT INTO transitions_next (id, run_id, step, from_status, to_status, reason, actor, at, trace_id, details)
  SELECT id, run_id, step, from_status, to_status, reason, actor, at, trace_id, details FROM transitions;
DROP TABLE transitions;
ALTER TABLE transitions_next RENAME TO transitions;
CREATE INDEX transitions_run ON transitions (run_id, id);
