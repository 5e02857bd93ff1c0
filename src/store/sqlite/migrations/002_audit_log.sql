-- keel: breaking
-- keel store schema, version 2: the operators' audit log. Append-only: each row is written in
-- the transaction of the change it records (cancel, retry, purge...). Times are epoch milliseconds.
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT,
  reason TEXT,
  details TEXT
);
-- `keel audit list --since 24h`
CREATE INDEX audit_log_at ON audit_log (at);
