-- keel: non-breaking
-- retention's scan: the oldest ended runs of a status, read off the index in batches
CREATE INDEX runs_ended ON runs (status, finished_at, id)
  WHERE status IN ('succeeded', 'cancelled');
