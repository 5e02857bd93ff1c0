/**
 * What the store finds when it checks its own storage (SQLite: the pages of the file), in domain
 * words. Damage confined to indexes, or to free-space bookkeeping, loses nothing: the rows are
 * intact and the rest can be rebuilt from them. Damage to a table's rows, or damage the check
 * cannot attribute, can be undone only by a restore.
 */
export const StorageDamage = {
  /** an index's pages or entries: rebuilt from its table's rows */
  index: "index",
  /** a table's rows (keel's data itself, or the schema) */
  table: "table",
  /** pages that belong to nothing (left behind by damage or a repair): reclaimed by compaction */
  freeSpace: "free_space",
  /** damage the check cannot attribute to an object: treated like damage to rows */
  unknown: "unknown",
} as const;
export type StorageDamage = (typeof StorageDamage)[keyof typeof StorageDamage];

export interface StorageFinding {
  damage: StorageDamage;
  /** the index or table it belongs to, when known */
  object: string | null;
  /** the storage's own words (SQLite: a line of PRAGMA quick_check / integrity_check) */
  message: string;
}

export interface StorageReport {
  ok: boolean;
  /** quick: structure and counts (PRAGMA quick_check); full: every index entry against its row */
  level: "quick" | "full";
  findings: StorageFinding[];
  /** every finding is index or free-space damage, and the check saw all of them */
  repairable: boolean;
  checkedAt: number;
  ms: number;
}

export interface StorageRepair {
  /** true when the check after the repair found the storage whole */
  repaired: boolean;
  /** what was done, in order ("rebuilt index runs_status", "compacted the file") */
  actions: string[];
  /** the full check made after the repair */
  report: StorageReport;
  ms: number;
}

/** At most this many findings are listed; a check that reaches it saw only part of the damage. */
export const findingsLimit = 100;

/** Repairable: there is damage, all of it in indexes or free space, and none was left unseen. */
export function isRepairable(findings: readonly StorageFinding[], complete: boolean): boolean {
  return (
    complete &&
    findings.length > 0 &&
    findings.every((f) => f.damage === StorageDamage.index || f.damage === StorageDamage.freeSpace)
  );
}

/** "index runs_status; table runs": the damaged objects, for logs and health. */
export function describeFindings(findings: readonly StorageFinding[]): string {
  const named = new Set<string>();
  for (const f of findings)
    named.add(
      f.object
        ? `${f.damage === StorageDamage.table ? "table" : "index"} ${f.object}`
        : f.damage === StorageDamage.freeSpace
          ? "unused pages"
          : `unattributed: ${f.message}`,
    );
  return [...named].join("; ");
}
