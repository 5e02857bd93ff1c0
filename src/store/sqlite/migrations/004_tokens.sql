-- keel: breaking
-- keel store schema, version 4: API tokens. Only a SHA-256 of each secret is kept (the secret is
-- 32 random bytes, so a slow hash adds nothing); the id is public and part of the token text, so a
-- lookup is by primary key and the comparison of hashes runs in constant time in code.
CREATE TABLE tokens (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
  secret_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  last_used_at INTEGER,
  revoked_at INTEGER,
  revoked_by TEXT
);
CREATE INDEX tokens_name ON tokens (name);
