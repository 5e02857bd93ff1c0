/** What `keel db backup` and `restore` report, for either backend (SQLite, PostgreSQL). */
export interface BackupResult {
  file: string;
  bytes: number;
  integrity: "ok";
  schemaVersion: number;
  runs: number;
  ms: number;
  removed: string[];
}

export interface RestoreResult {
  restored: boolean;
  from: string;
  file: string;
  /** where the current store file goes (or went); null when there is none */
  replaced: string | null;
  /** every file moved aside: the store file, its -wal and -shm */
  movedAside: string[];
  bytes: number;
  /** of the restored store; a PostgreSQL dump's are only known once restored (0 before) */
  schemaVersion: number;
  runs: number;
  ms: number;
  /** set for a PostgreSQL store: `file` is its URL and `replaced` a schema */
  server?: true;
}
