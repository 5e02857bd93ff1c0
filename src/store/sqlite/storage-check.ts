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
    const { messages, complete } = await pragmaCheck(connection, level);
    if (messages.length === 0) return done([], true, []);
    const schema = await connection
      .all<SchemaObject>("SELECT type, name, rootpage FROM sqlite_schema")
      .catch(() => []);
    return done(messages, complete, schema, await pageOwners(connection, messages));
  } finally {
    open.delete(connection);
    await connection.close();
  }
}

/** The check's lines ("ok" left out); `complete` is false when it stopped early or hit its limit. */
async function pragmaCheck(
  connection: WorkerConnection,
  level: "quick" | "full",
): Promise<{ messages: string[]; complete: boolean }> {
  const run = async (pragma: string): Promise<{ messages: string[]; complete: boolean }> => {
    try {
      const rows = await connection.all<Record<string, string>>(
        `PRAGMA ${pragma}(${findingsLimit})`,
      );
      const messages = rows.map((r) => Object.values(r)[0] as string).filter((m) => m !== "ok");
      return { messages, complete: rows.length < findingsLimit };
    } catch (error) {
      // the check itself ran into a page it cannot read (a table's page header, say): damage it
      // cannot attribute
      if (!isCorruptionError(error)) throw error;
      return { messages: [`${pragma} stopped: ${(error as Error).message}`], complete: false };
    }
  };
  const quick = await run("quick_check");
  if (quick.messages.length > 0 || level === "quick") return quick;
  return run("integrity_check");
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
