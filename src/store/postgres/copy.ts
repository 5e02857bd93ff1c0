import type { PoolClient } from "pg";
import { StoreError } from "../../core/errors/store-errors.js";
import {
  TableDigest,
  copiedTables,
  sequencedTables,
  startupTables,
  type CopyResult,
  type CopySource,
  type TableCopy,
} from "../store-copy.js";
import { asStoreError } from "./errors.js";
import { openPool, parsePostgresUrl, quoteIdent, redact } from "./open.js";
import { PostgresStore } from "./postgres-store.js";

/**
 * A PostgreSQL schema as the target of `keel db copy` (../store-copy.ts): made as a node makes it,
 * then filled, read back and compared in one transaction under an advisory lock, so two copies
 * into the same schema queue and a mismatch commits nothing.
 */
const paramsPerInsert = 30_000;

export async function postgresCopyTarget(
  url: string,
  source: CopySource,
  replace: boolean,
): Promise<Omit<CopyResult, "from" | "ms">> {
  const target = parsePostgresUrl(url);
  const store = PostgresStore.open({ url });
  try {
    await store.ready();
  } finally {
    await store.close();
  }
  const pool = openPool(target, 1);
  let client: PoolClient | undefined;
  try {
    client = await pool.connect();
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [
      `keel:copy:${target.schema}`,
    ]);
    const cleared = await emptyTarget(client, target.schema, url, replace);
    const tables: TableCopy[] = [];
    for (const table of copiedTables)
      tables.push(await copyTable(client, target.schema, source, table));
    await advanceSequences(client, target.schema, source);
    await client.query("COMMIT");
    return { to: redact(url), schema: target.schema, tables, cleared };
  } catch (error) {
    await client?.query("ROLLBACK").catch(() => undefined);
    throw asStoreError(error, target.url);
  } finally {
    client?.release();
    await pool.end();
  }
}

async function count(client: PoolClient, table: string): Promise<number> {
  return Number((await client.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
}

/** refuses a target that holds a store unless `replace`; start-up rows alone are replaced */
async function emptyTarget(
  client: PoolClient,
  schema: string,
  url: string,
  replace: boolean,
): Promise<string[]> {
  const held: [string, number][] = [];
  for (const table of copiedTables) {
    const n = await count(client, table);
    if (n > 0) held.push([table, n]);
  }
  const history = held.filter(([t]) => !startupTables.includes(t));
  if (history.length > 0 && !replace)
    throw new StoreError(
      "store_not_empty",
      `schema "${schema}" at ${redact(url)} already holds a store (${history.map(([t, n]) => `${t} ${n}`).join(", ")}); nothing was copied. Copy into an empty schema (another ?schema= in the URL), or add --replace to delete its rows first (back them up with \`keel db backup\` on that store)`,
    );
  for (const [table] of held) await client.query(`DELETE FROM ${table}`);
  return held.map(([t]) => t);
}

async function targetColumns(
  client: PoolClient,
  schema: string,
  table: string,
): Promise<Set<string>> {
  const rows = await client.query(
    "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2",
    [schema, table],
  );
  return new Set(rows.rows.map((r: { column_name: string }) => r.column_name));
}

async function copyTable(
  client: PoolClient,
  schema: string,
  source: CopySource,
  table: string,
): Promise<TableCopy> {
  const columns = source.columns(table);
  const written = new TableDigest();
  if (columns === null) return { table, rows: 0, hash: written.hex() };
  const present = await targetColumns(client, schema, table);
  const missing = columns.filter((c) => !present.has(c));
  if (missing.length > 0)
    throw new StoreError(
      "store_too_new",
      `the SQLite store's ${table} has column${missing.length === 1 ? "" : "s"} ${missing.join(", ")} that the PostgreSQL schema lacks: copy with a keel as new as the one that wrote the SQLite store`,
    );
  const list = columns.map(quoteIdent).join(", ");
  const size = Math.max(1, Math.min(1000, Math.floor(paramsPerInsert / columns.length)));
  for (const batch of source.batches(table, columns, size)) {
    const params: unknown[] = [];
    const tuples = batch.map((row) => {
      written.add(row);
      const marks = row.map((value) => {
        params.push(value);
        return `$${params.length}`;
      });
      return `(${marks.join(", ")})`;
    });
    await client.query(`INSERT INTO ${table} (${list}) VALUES ${tuples.join(", ")}`, params);
  }
  const read = await readBack(client, table, list);
  if (read.rows !== written.rows || read.hex() !== written.hex())
    throw new StoreError(
      "copy_mismatch",
      `${table}: the PostgreSQL copy reads back ${read.rows} rows (hash ${read.hex().slice(0, 12)}) where the SQLite store has ${written.rows} (hash ${written.hex().slice(0, 12)}); nothing was copied. Run \`keel db check\` on the SQLite store, and report this with both hashes`,
    );
  return { table, rows: written.rows, hash: written.hex() };
}

/** the rows as written, through a cursor, so a large table is never held in memory at once */
async function readBack(client: PoolClient, table: string, list: string): Promise<TableDigest> {
  const digest = new TableDigest();
  await client.query(`DECLARE keel_copy_read NO SCROLL CURSOR FOR SELECT ${list} FROM ${table}`);
  for (;;) {
    const page = await client.query<unknown[]>({
      text: "FETCH 1000 FROM keel_copy_read",
      rowMode: "array",
    });
    for (const row of page.rows) digest.add(row);
    if (page.rows.length < 1000) break;
  }
  await client.query("CLOSE keel_copy_read");
  return digest;
}

/** sequences past every copied id, and past every id SQLite ever handed out (purged ones too) */
async function advanceSequences(
  client: PoolClient,
  schema: string,
  source: CopySource,
): Promise<void> {
  for (const table of sequencedTables) {
    const max = Number(
      (await client.query(`SELECT coalesce(max(id), 0) AS n FROM ${table}`)).rows[0].n,
    );
    const next = Math.max(max, source.highWater(table));
    if (next > 0)
      await client.query("SELECT setval(pg_get_serial_sequence($1, 'id'), $2)", [
        `${quoteIdent(schema)}.${table}`,
        next,
      ]);
  }
}
