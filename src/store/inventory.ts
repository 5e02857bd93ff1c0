/**
 * What `keel db check` lists beside the integrity findings: the migration ledger, the rows of each
 * table (a sanity look: an empty runs table under a long audit log says a store was swapped), and
 * runs whose lease ran out with nobody recovering them. The SQL is shared; each backend runs it.
 */
import { copiedTables } from "./store-copy.js";

export interface AppliedMigrationInfo {
  version: number;
  name: string;
  breaking: boolean;
  appliedAt: number;
}

export interface ExpiredLease {
  runId: string;
  nodeId: string | null;
  expiredAt: number;
}

export interface StoreInventory {
  /** the ledger, oldest first */
  migrations: AppliedMigrationInfo[];
  /** the newest migration this build of keel knows; below the ledger's newest: an older node */
  knownVersion: number;
  /** rows per table, for the tables of inventoryTables that exist */
  tables: Record<string, number>;
  /** running runs whose lease ran out `staleMs` before `now`, oldest first, at most expiredLeaseLimit */
  expiredLeases: ExpiredLease[];
}

/**
 * the tables keel keeps in both backends: every table `db copy` moves, then the two that stay
 * with their host (store-copy.ts says why); only the ledgers (migrations, id high-water marks)
 * are left out
 */
export const inventoryTables = [...copiedTables, "alert_lease", "nodes"] as const;

export const expiredLeaseLimit = 100;

export const ledgerSql =
  "SELECT version, name, breaking, applied_at FROM schema_migrations ORDER BY version";

/**
 * `now` is the SQL of the lease clock's now (a parameter, or the database's clock); the parameter
 * after it is how long ago (ms) a lease must have run out to count
 */
export function expiredLeasesSql(now: string): string {
  return `SELECT id, node_id, lease_expires_at FROM runs WHERE status = 'running' AND lease_expires_at < ${now} - ? ORDER BY lease_expires_at, id LIMIT ${expiredLeaseLimit}`;
}

interface LedgerRow {
  version: number;
  name: string;
  breaking: number | null;
  applied_at: number;
}
interface LeaseRow {
  id: string;
  node_id: string | null;
  lease_expires_at: number;
}

export function inventoryFromRows(
  ledger: readonly LedgerRow[],
  knownVersion: number,
  tables: Record<string, number>,
  leases: readonly LeaseRow[],
): StoreInventory {
  return {
    migrations: ledger.map((r) => ({
      version: Number(r.version),
      name: r.name,
      breaking: Number(r.breaking ?? 0) === 1,
      appliedAt: Number(r.applied_at),
    })),
    knownVersion,
    tables,
    expiredLeases: leases.map((r) => ({
      runId: r.id,
      nodeId: r.node_id,
      expiredAt: Number(r.lease_expires_at),
    })),
  };
}
