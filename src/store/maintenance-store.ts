import type { IntegrityReport, StateDiff } from "./integrity.js";
import type { StoreInventory } from "./inventory.js";
import type { StorageRepair, StorageReport } from "./storage.js";

/**
 * Checks and repairs: keel's invariants, runs rebuilt from their transitions, and the storage's
 * own check. The storage methods are optional: a backend without a storage check of its own
 * leaves them out, and callers ask `store.checkStorage?.(...)`.
 */
export interface MaintenanceStore {
  /** keel's invariants and the storage's own check; reads only, so it may run beside a node */
  checkIntegrity(): Promise<IntegrityReport>;
  /**
   * Runs whose status their transitions contradict; with `apply`, writes the rebuilt statuses and a
   * `rebuilt_from_transitions` transition each, in one transaction. Apply only while no node runs.
   */
  rebuildStates(apply: boolean, actor: string, now: number): Promise<StateDiff[]>;
  /**
   * The migration ledger, rows per table and running runs whose lease ran out more than
   * `staleMs` (default 0) before `now`, on the lease clock (a PostgreSQL store's own clock by
   * default); reads only, beside a node.
   */
  inventory(now: number, staleMs?: number): Promise<StoreInventory>;

  /**
   * The storage's own check, off the event loop (SQLite: PRAGMA quick_check, and for `full`
   * integrity_check, on a fresh connection in a worker thread). From a check that finds damage,
   * or a query that runs into it, until a check finds none, every write is refused with
   * `store_corrupt`: nothing more is written on a broken file. Reads go on.
   */
  checkStorage?(level: "quick" | "full"): Promise<StorageReport>;
  /**
   * Repairs what a check found when it is repairable (indexes rebuilt from their tables, free
   * pages reclaimed; rows are only read), then checks in full; writes resume if that is clean.
   * An unrepairable report is returned as it is, with nothing done.
   */
  repairStorage?(report: StorageReport): Promise<StorageRepair>;
  /** a query ran into damaged storage, and writes are refused from now on: check now */
  onStorageFault?(listener: (fault: Error) => void): () => void;
}
