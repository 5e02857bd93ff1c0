import type pg from "pg";
import { pgModule } from "./driver.js";
import { InvalidInputError } from "../../core/errors/definition-errors.js";

/**
 * The pool of a PostgreSQL store: its URL, the schema its connections use, and the type parsers
 * that hand back bigint and numeric columns as numbers (times are epoch ms, far below 2^53).
 */
export const defaultSchema = "keel";

export interface PgTarget {
  /** the URL without keel's own `schema` parameter */
  url: string;
  schema: string;
}

/** Splits keel's `?schema=` off a postgres:// URL; the rest goes to the driver as it is. */
export function parsePostgresUrl(url: string, schema?: string): PgTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidInputError(
      `store URL ${redact(url)} is not a valid URL; write postgres://user@host:5432/database`,
      { field: "store" },
    );
  }
  const fromUrl = parsed.searchParams.get("schema");
  parsed.searchParams.delete("schema");
  return { url: parsed.toString(), schema: checkSchema(schema ?? fromUrl ?? defaultSchema) };
}

export function checkSchema(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
    throw new InvalidInputError(
      `PostgreSQL schema "${schema}" is not a plain lower-case name; use letters a-z, digits and _ (at most 63), starting with a letter or _`,
      { field: "schema" },
    );
  return schema;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The URL with its password hidden, for messages and logs. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@]*@/, "//$1:***@");
}

const asNumber = (value: string): number => Number(value);

/** keel's transactions never wait on user code: idle inside one this long means frozen */
const idleInTransactionMs = 2000;

export function openPool(target: PgTarget, max: number): pg.Pool {
  const { Pool, types } = pgModule();
  const pool = new Pool({
    connectionString: target.url,
    max,
    // a node frozen inside a transaction (SIGSTOP, a VM paused) must not hold its row locks for
    // ever: the server ends such a session, so the other nodes' recovery of its runs goes through
    options: `-c search_path=${quoteIdent(target.schema)} -c idle_in_transaction_session_timeout=${idleInTransactionMs}`,
    // pg_stat_activity shows which store each connection serves
    application_name: `keel/${target.schema}`,
    types: {
      getTypeParser: ((oid: number, format?: string) =>
        oid === types.builtins.INT8 || oid === types.builtins.NUMERIC
          ? asNumber
          : types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser,
    },
  });
  // an idle connection the server closed: the next query opens a new one; without a listener
  // the pool's 'error' event would end the process
  pool.on("error", () => undefined);
  // a connection cut while checked out between two queries emits 'error' on its client, which
  // would end the process unheard; the next query on it fails, and that failure is handled
  // the same for a connection in use (the server ended a session left idle in a transaction):
  // its query fails, and the write is retried or given back, rather than the process ending
  pool.on("connect", (client) => client.on("error", () => undefined));
  return pool;
}
