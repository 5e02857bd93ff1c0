import { createHash } from "node:crypto";

/**
 * `keel db copy` (copy-store.ts runs it): a SQLite store moved into an empty PostgreSQL schema, whole or not at all. The
 * source is read in one snapshot; the target is written in one transaction that also reads every
 * table back, and commits only when each table's row count and content hash match the source's.
 * A failed or refused copy leaves the target as it was, so running it again is always safe.
 *
 * Every table of the SQLite store is either copied or named in `uncopiedTables` with why, so a
 * table a migration adds must be decided on (test/store/copy-tables.test.ts).
 */
export const copiedTables = [
  "pipelines",
  "runs",
  "step_results",
  "step_progress",
  "transitions",
  "settings",
  "audit_log",
  "sources",
  "tokens",
  "join_tokens",
  "telemetry",
  "breakers",
  "breaker_transitions",
  "goldens",
  "gates",
  "shadows",
  "shadow_runs",
  "shadow_steps",
  "alert_states",
  "alert_events",
  "alert_silences",
  "alert_outbox",
] as const;

/** the SQLite store's tables that stay behind, and why (docs/cluster.md says the same) */
export const uncopiedTables: Readonly<Record<string, string>> = {
  nodes: "the processes of the old host, not members of the new cluster: nodes register themselves",
  alert_lease:
    "which node evaluates alerts: held by a process of the old host; a node of the new cluster takes it",
  transition_ids:
    "SQLite's high-water mark of transition ids: PostgreSQL's sequence is set past it instead",
  schema_migrations: "each backend keeps its own migration ledger",
};

/** tables whose rows a node writes when it starts: a target with only these counts as empty */
export const startupTables: readonly string[] = ["pipelines", "settings"];

/** tables whose ids come from a sequence on PostgreSQL, set past the copied ids */
export const sequencedTables = [
  "transitions",
  "audit_log",
  "breaker_transitions",
  "alert_events",
  "alert_outbox",
] as const;

export interface TableCopy {
  table: string;
  rows: number;
  /** sha256 over every row's values, independent of row order */
  hash: string;
}

export interface CopyResult {
  /** the SQLite file */
  from: string;
  /** the PostgreSQL URL, password hidden */
  to: string;
  schema: string;
  tables: TableCopy[];
  /** tables of the target that held rows and were emptied first (with `replace`, or start-up rows) */
  cleared: string[];
  ms: number;
}

/** A store read as tables of rows, in one consistent snapshot. */
export interface CopySource {
  /** the table's columns, or null when the source has no such table */
  columns(table: string): string[] | null;
  /** the rows' values in `columns` order, a batch at a time */
  batches(table: string, columns: readonly string[], size: number): Iterable<unknown[][]>;
  /** the highest id the table ever handed out, deleted rows included (0 when unknown) */
  highWater(table: string): number;
  close(): void;
}

/**
 * An order-independent digest of a table: each row's values are hashed as JSON, and the row
 * hashes are summed mod 2^256, so two backends' rows agree whatever order they come back in.
 */
export class TableDigest {
  rows = 0;
  private sum = 0n;
  private static readonly mod = 1n << 256n;

  add(values: readonly unknown[]): void {
    const text = JSON.stringify(values.map(canonicalValue));
    const h = createHash("sha256").update(text).digest("hex");
    this.sum = (this.sum + BigInt(`0x${h}`)) % TableDigest.mod;
    this.rows += 1;
  }

  hex(): string {
    return this.sum.toString(16).padStart(64, "0");
  }
}

/** the same value the same way from either driver: integers as numbers, bytes as hex */
function canonicalValue(value: unknown): unknown {
  if (typeof value === "bigint") return Number(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString("hex");
  return value ?? null;
}
