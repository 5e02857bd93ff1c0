import { findingsLimit, isRepairable, type StorageReport } from "../storage.js";
import { isCorruptionError } from "./storage-guard.js";
import { attributeAll, pageOf, type SchemaObject } from "./storage-findings.js";
import { WorkerConnection } from "./worker-connection.js";

/**
 * The store file's own check, on a fresh connection in a worker thread (the node's event loop and
 * its page cache are left alone). `quick` is PRAGMA quick_check: every page of every btree, and
 * each index's entry count, in one pass over the file. `full` adds integrity_check's lookup of
 * every index entry for every row, when the quick pass finds nothing: slower, for when a query has
 * already met damage the quick pass may not see (a garbled index key).
 */
export async function checkStorageFile(
  path: string,
  level: "quick" | "full",
  /** connections open now, so that closing the store can end them */
  open: Set<WorkerConnection> = new Set(),
): Promise<StorageReport> {
  const started = performance.now();
  const checkedAt = Date.now();
  const done = (
    messages: string[],
    complete: boolean,
    schema: SchemaObject[],
    owners = new Map<number, string>(),
  ): StorageReport => {
    const findings = attributeAll(messages, schema, owners);
    return {
      ok: findings.length === 0,
      level,
      findings,
      repairable: isRepairable(findings, complete),
      checkedAt,
      ms: Math.round(performance.now() - started),
    };
  };
  let connection: WorkerConnection;
  try {
    connection = await WorkerConnection.open(path, { readonly: true });
  } catch (error) {
    // a file SQLite cannot even open (its header is gone) is damage; a missing worker is not
    if (isCorruptionError(error))
      return done([`cannot open: ${(error as Error).message}`], false, []);
    throw error;
  }
  open.add(connection);
  try {
    const check = await pragmaCheck(connection, level);
    if (check.messages.length === 0) return done([], true, []);
    const schema = await connection
      .all<SchemaObject>("SELECT type, name, rootpage FROM sqlite_schema")
      .catch(() => []);
    const messages = check.stopped
      ? await tableByTable(connection, check.stopped, schema, check.messages)
      : check.messages;
    return done(messages, check.complete, schema, await pageOwners(connection, messages));
  } finally {
    open.delete(connection);
    await connection.close();
  }
}

interface PragmaCheck {
  /** its lines, "ok" left out */
  messages: string[];
  /** false when it stopped early or hit its limit */
  complete: boolean;
  /** the pragma that stopped on a page it could not read, if one did */
  stopped?: string;
}

async function runPragma(
  connection: WorkerConnection,
  pragma: string,
  arg: string,
): Promise<PragmaCheck> {
  try {
    const rows = await connection.all<Record<string, string>>(`PRAGMA ${pragma}(${arg})`);
    const messages = rows.map((r) => Object.values(r)[0] as string).filter((m) => m !== "ok");
    return { messages, complete: rows.length < findingsLimit };
  } catch (error) {
    // the check itself ran into a page it cannot read (a table's page header, say)
    if (!isCorruptionError(error)) throw error;
    return {
      messages: [`${pragma} stopped: ${(error as Error).message}`],
      complete: false,
      stopped: pragma,
    };
  }
}

async function pragmaCheck(
  connection: WorkerConnection,
  level: "quick" | "full",
): Promise<PragmaCheck> {
  const quick = await runPragma(connection, "quick_check", String(findingsLimit));
  if (quick.messages.length > 0 || level === "quick") return quick;
  return runPragma(connection, "integrity_check", String(findingsLimit));
}

/**
 * A check that stopped names no object; run again table by table (each with its indexes), it
 * names the tables it stops on ("table runs: quick_check stopped: ...") and what the others find.
 */
async function tableByTable(
  connection: WorkerConnection,
  pragma: string,
  schema: readonly SchemaObject[],
  whole: string[],
): Promise<string[]> {
  const messages: string[] = [];
  for (const table of schema.filter((o) => o.type === "table")) {
    const check = await runPragma(connection, pragma, `"${table.name.replace(/"/g, '""')}"`);
    messages.push(...check.messages.map((m) => (check.stopped ? `table ${table.name}: ${m}` : m)));
  }
  return messages.length > 0 ? messages : whole;
}

/** Owners of the pages that messages name without their btree, from one scan of dbstat. */
async function pageOwners(
  connection: WorkerConnection,
  messages: readonly string[],
): Promise<Map<number, string>> {
  const pages = [...new Set(messages.map(pageOf).filter((p): p is number => p !== null))];
  if (pages.length === 0) return new Map();
  try {
    const rows = await connection.all<{ name: string; pageno: number }>(
      "SELECT name, pageno FROM dbstat WHERE pageno IN (SELECT value FROM json_each(?))",
      JSON.stringify(pages),
    );
    return new Map(rows.map((r) => [r.pageno, r.name]));
  } catch {
    return new Map(); // dbstat missing or unreadable: those messages stay unattributed
  }
}
