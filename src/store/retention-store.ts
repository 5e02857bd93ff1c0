import { InvalidInputError } from "../core/errors/definition-errors.js";

/**
 * Retention of ended runs: succeeded and cancelled runs older than the configured age are deleted
 * with everything that hangs off them, in small batches. Quarantined runs keep their own purge and
 * are never taken by retention; pending and running runs never are either.
 */
export const retentionStatuses = ["succeeded", "cancelled"] as const;
export type RetentionStatus = (typeof retentionStatuses)[number];

export interface EndedRunsDeletion {
  status: RetentionStatus;
  /** epoch ms: only runs whose finished_at is strictly before this */
  finishedBefore: number;
  /** at most this many runs, oldest finished first */
  limit: number;
}

export interface RetentionStore {
  /**
   * Deletes at most `limit` runs of `status` finished before `finishedBefore`, oldest first, with
   * their checkpoints and transitions, in one transaction; returns how many went. Idempotent: two
   * nodes sweeping at once delete each run once, and the loser of a race counts it zero times.
   */
  deleteEndedRuns(request: EndedRunsDeletion): Promise<number>;
  /**
   * Gives the space of deleted rows back (SQLite: VACUUM, then the write-ahead log truncated;
   * PostgreSQL: VACUUM (ANALYZE) of keel's tables). SQLite rewrites the whole file under an
   * exclusive lock: only while no node uses the store (`keel db vacuum` checks).
   */
  vacuum(): Promise<VacuumReport>;
}

export interface VacuumReport {
  /** the store's size before and after, in bytes (SQLite: file and WAL; PostgreSQL: keel's tables) */
  bytesBefore: number;
  bytesAfter: number;
  /** the tables vacuumed (SQLite: the whole file, named by its tables) */
  tables: string[];
}

/** Refuses a request that could take anything but old ended runs. */
export function checkEndedRunsDeletion(request: EndedRunsDeletion): void {
  if (!(retentionStatuses as readonly string[]).includes(request.status))
    throw new InvalidInputError(
      `retention deletes only succeeded or cancelled runs, not ${String(request.status)}`,
      { field: "status" },
    );
  if (!Number.isInteger(request.limit) || request.limit < 1)
    throw new InvalidInputError(
      `retention batch size must be a positive integer, got ${request.limit}`,
      { field: "limit" },
    );
  if (!Number.isFinite(request.finishedBefore))
    throw new InvalidInputError("retention needs a finite finishedBefore time", {
      field: "finishedBefore",
    });
}
