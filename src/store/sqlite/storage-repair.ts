import { StorageDamage, type StorageRepair, type StorageReport } from "../storage.js";
import { checkStorageFile } from "./storage-check.js";
import { isCorruptionError } from "./storage-guard.js";
import { WorkerConnection } from "./worker-connection.js";

/**
 * Repairs damage confined to indexes and free space, on a connection of its own in a worker
 * thread; table rows are only read. Each damaged index is rebuilt from its table: REINDEX when its
 * pages still parse (a garbled key); when they do not, REINDEX cannot even clear them, so a new copy
 * of the index is built under a temporary name and takes the damaged one's place in sqlite_schema in
 * the same transaction (the damaged pages are left to nobody), and VACUUM then rewrites the file
 * without them. A full check decides whether it worked. Anything else is refused: rows cannot be
 * rebuilt from anything but a backup.
 */
export async function repairStorageFile(
  path: string,
  report: StorageReport,
  /** connections open now, so that closing the store can end them */
  open: Set<WorkerConnection> = new Set(),
): Promise<StorageRepair> {
  const started = performance.now();
  const finish = (actions: string[], after: StorageReport): StorageRepair => ({
    repaired: after.ok,
    actions,
    report: after,
    ms: Math.round(performance.now() - started),
  });
  if (!report.repairable) return finish([], report);
  const indexes = [
    ...new Set(
      report.findings.filter((f) => f.damage === StorageDamage.index).map((f) => f.object),
    ),
  ].filter((name): name is string => name !== null);
  const actions: string[] = [];
  let compact = report.findings.some((f) => f.damage === StorageDamage.freeSpace);
  const connection = await WorkerConnection.open(path, { readonly: false });
  open.add(connection);
  try {
    for (const name of indexes) {
      try {
        await connection.exec(`REINDEX ${quoted(name)}`);
        actions.push(`reindexed ${name}`);
      } catch (error) {
        if (!isCorruptionError(error)) throw error;
        await replaceIndex(connection, name);
        actions.push(`rebuilt ${name} in new pages`);
        compact = true;
      }
    }
    if (compact) {
      await connection.exec("VACUUM");
      actions.push("compacted the file (VACUUM)");
    }
  } finally {
    open.delete(connection);
    await connection.close();
  }
  return finish(actions, await checkStorageFile(path, "full", open));
}

function quoted(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A new copy of the index, built from its table, put in place of the damaged one atomically. */
async function replaceIndex(connection: WorkerConnection, name: string): Promise<void> {
  const [row] = await connection.all<{ sql: string | null }>(
    "SELECT sql FROM sqlite_schema WHERE type = 'index' AND name = ?",
    name,
  );
  // an index SQLite made for a PRIMARY KEY or UNIQUE column has no CREATE statement to copy
  if (!row?.sql) throw new Error(`index ${name} has no definition to rebuild it from`);
  const temp = `keel_rebuilt_${name}`;
  const create = row.sql.replace(
    /^(CREATE\s+(?:UNIQUE\s+)?INDEX\s+)(?:"[^"]+"|\S+)/i,
    `$1${quoted(temp)}`,
  );
  // a copy left by a repair that failed half-way is whole (it was just built): drop it
  await connection.exec(`DROP INDEX IF EXISTS ${quoted(temp)}`);
  await connection.exec("BEGIN IMMEDIATE");
  try {
    await connection.exec(create);
    const [{ schema_version: version }] = (await connection.all<{ schema_version: number }>(
      "PRAGMA schema_version",
    )) as [{ schema_version: number }];
    await connection.unsafe(true);
    await connection.exec("PRAGMA writable_schema = ON");
    await connection.run("DELETE FROM sqlite_schema WHERE type = 'index' AND name = ?", name);
    await connection.run(
      "UPDATE sqlite_schema SET name = ?, sql = ? WHERE type = 'index' AND name = ?",
      name,
      row.sql,
      temp,
    );
    // other connections re-read the schema when its version moves
    await connection.exec(`PRAGMA schema_version = ${version + 1}`);
    await connection.exec("PRAGMA writable_schema = OFF");
    await connection.exec("COMMIT");
  } catch (error) {
    await connection.exec("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    await connection.exec("PRAGMA writable_schema = OFF").catch(() => undefined);
    await connection.unsafe(false).catch(() => undefined);
  }
}
