-- keel: non-breaking
-- keel store schema, version 5: telemetry rollups, shared by every node of the store. One row per
-- (minute, pipeline, step, kind, label); nodes add to it with an upsert that adds count and total,
-- keeps the larger max_ms and merges histogram bucket by bucket, so any range is read by summing
-- rows. minute is the epoch ms of the minute's start; step is '' for what belongs to the run.
-- kind is checked by the code, not here: a new kind must not need a table rebuild.
-- histogram: JSON object bucket index -> count, the layout of src/core/latency-histogram.ts.
CREATE TABLE telemetry (
  minute INTEGER NOT NULL,
  pipeline TEXT NOT NULL,
  step TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL,
  label TEXT NOT NULL DEFAULT '',
  count INTEGER NOT NULL DEFAULT 0,
  total REAL NOT NULL DEFAULT 0,
  max_ms REAL,
  histogram TEXT,
  -- minute first: reads are time ranges, retention deletes everything before a minute
  PRIMARY KEY (minute, pipeline, step, kind, label)
) WITHOUT ROWID;
