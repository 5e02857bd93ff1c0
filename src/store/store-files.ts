import type { StoreError } from "../core/errors/store-errors.js";

/**
 * The store's files, as the commands that work on them beside or without a node see them: a look
 * before opening, an online copy, a check of a copy, the name of the damage a query met. A backend
 * that keeps its data in a file (SQLite) implements this role in its own folder; one behind a
 * server (PostgreSQL) has no file, and callers never get a file path for it (see files.ts).
 */
export interface StoreFiles {
  /** a look at the file without opening it as a store: no lock taken, nothing written */
  inspect(path: string): StoreFileState;
  /** an online copy of `source` into `dest` (an empty or missing file), safe beside a live node */
  backup(source: string, dest: string): Promise<void>;
  /** checks a copy this process owns and makes it one self-contained file */
  verifyCopy(path: string): StoreCopyInfo;
  /** a backend error raised mid-query by damaged storage, as the store error that says what to do */
  failure(error: unknown): StoreError | undefined;
}

export type StoreFileState =
  | { kind: "ok"; bytes: number }
  /** `orphanWal`: the store's write-ahead log is still there with data in it */
  | { kind: "missing"; orphanWal: boolean }
  | { kind: "corrupt"; bytes: number; reason: string };

export interface StoreCopyInfo {
  integrity: "ok";
  schemaVersion: number;
  runs: number;
  bytes: number;
}
