import {
  loadMigrations,
  pendingMigrations,
  schemaAheadWarning,
  type AppliedMigration,
} from "../migration-files.js";
import type pg from "pg";
import { KeelErrorCode } from "../../core/errors/codes.js";
import { hasKeelCode } from "../../core/errors/keel-error.js";
import { StoreError } from "../../core/errors/store-errors.js";
import { PgConn } from "./context.js";
import { asStoreError } from "./errors.js";
import { quoteIdent, type PgTarget } from "./open.js";

const folder = new URL("./migrations/", import.meta.url);

export interface MigrateResult {
  applied: number;
  warning: string | null;
}

/**
 * Applies pending migrations in the caller's transaction, under a transaction-scoped advisory
 * lock keyed by the schema: nodes starting at once queue on it, and the first migrates while the
 * others then find nothing left to do. The ledger has SQLite's columns and checks.
 */
export async function migratePostgres(
  c: PgConn,
  schema: string,
  now: number = Date.now(),
): Promise<MigrateResult> {
  const known = loadMigrations(folder);
  await c.run("SELECT pg_advisory_xact_lock(hashtext(?))", [`keel:migrate:${schema}`]);
  // no DDL on a store that has its ledger: a node's role may have table rights only
  if (!(await hasLedger(c, schema))) {
    await c.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    await c.run(
      `CREATE TABLE ${quoteIdent(schema)}.schema_migrations (version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at bigint NOT NULL, breaking integer)`,
    );
  }
  // the pool's connections name the schema in their search_path; this one may predate it
  await c.run(`SET LOCAL search_path TO ${quoteIdent(schema)}`);
  const applied = await c.all<AppliedMigration>(
    "SELECT version, name, checksum, breaking FROM schema_migrations ORDER BY version",
  );
  const pending = pendingMigrations(known, applied);
  for (const m of pending) {
    await c.run(m.sql);
    await c.run(
      "INSERT INTO schema_migrations (version, name, checksum, applied_at, breaking) VALUES (?, ?, ?, ?, ?)",
      [m.version, m.name, m.checksum, now, m.breaking ? 1 : 0],
    );
  }
  return { applied: pending.length, warning: schemaAheadWarning(known, applied) };
}

/**
 * A read-only store migrates nothing: it checks that a node made the schema, that this code can
 * read it, and says whether it is ahead.
 */
export async function checkMigrated(c: PgConn, schema: string): Promise<string | null> {
  if (!(await hasLedger(c, schema)))
    throw new StoreError(
      KeelErrorCode.storeMissing,
      `PostgreSQL schema "${schema}" holds no keel store yet; start a node on it once (keel start) to create it, or name the right schema with ?schema=`,
    );
  const known = loadMigrations(folder);
  const applied = await c.all<AppliedMigration>(
    `SELECT version, name, checksum, breaking FROM ${quoteIdent(schema)}.schema_migrations ORDER BY version`,
  );
  pendingMigrations(known, applied);
  return schemaAheadWarning(known, applied);
}

async function hasLedger(c: PgConn, schema: string): Promise<boolean> {
  const row = await c.get<{ found: string | null }>("SELECT to_regclass(?) AS found", [
    `${quoteIdent(schema)}.schema_migrations`,
  ]);
  return Boolean(row?.found);
}

/**
 * The schema made ready once per store, before its first query: migrated (or, read-only,
 * checked). A server out of reach is tried again on the next call, so a node that started while
 * the database was away recovers without a restart; any other failure (store_too_new, a right
 * missing) stays, and every call reports it.
 */
export class SchemaGate {
  warning: string | null = null;
  private pending: Promise<void> | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly target: PgTarget,
    private readonly readonly: boolean,
  ) {}

  ready(): Promise<void> {
    this.pending ??= this.open().then(
      (warning) => {
        this.warning = warning;
        // keel's node logs only what it reads at start; this comes later, so it goes to stderr
        if (warning) process.emitWarning(warning, { code: "store_schema_ahead" });
      },
      (error: unknown) => {
        if (hasKeelCode(error, KeelErrorCode.storeUnavailable) && error.retryable)
          this.pending = undefined;
        throw error;
      },
    );
    return this.pending;
  }

  /** waits for a migration under way, whatever its outcome */
  async settled(): Promise<void> {
    await this.pending?.catch(() => undefined);
  }

  private async open(): Promise<string | null> {
    const client = await this.pool.connect().catch((error: unknown) => {
      throw asStoreError(error, this.target.url);
    });
    try {
      await client.query("BEGIN");
      const c = new PgConn(client);
      const warning = this.readonly
        ? await checkMigrated(c, this.target.schema)
        : (await migratePostgres(c, this.target.schema)).warning;
      await client.query("COMMIT");
      return warning;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw asStoreError(error, this.target.url);
    } finally {
      client.release();
    }
  }
}

/** the newest migration this build carries */
export function knownSchemaVersion(): number {
  return loadMigrations(folder).reduce((max, m) => Math.max(max, m.version), 0);
}
