import { StorageDamage, type StorageFinding } from "../storage.js";

/**
 * SQLite's integrity messages, attributed to what they damage. A btree's message names its root
 * page ("Tree 8 page 47: ..."), which sqlite_schema maps to an index or a table; other messages
 * name a page ("Multiple uses for byte 2032 of page 67"), whose owner the dbstat table knows; an
 * index-content message names the index; a page that belongs to nothing is free space. Anything
 * else (the freelist, the file header, a message of another version) is unknown, and unknown is
 * never repaired.
 */
export interface SchemaObject {
  type: string;
  name: string;
  rootpage: number | null;
}

const indexMessage = /(?:missing from|entries in|non-unique entry in) index (\S+)$/;
// NOT NULL, CHECK and type checks of rows: "NULL value in runs.status", "CHECK constraint failed in runs"
const rowMessage =
  /^(?:(?:NON-)?NULL|TEXT|NUMERIC|INTEGER|REAL|BLOB) value in (\w+)\.|^CHECK constraint failed in (\w+)/;

/** The message without SQLite's "*** in database main ***" heading. */
export function messageText(message: string): string {
  return message.replace(/^\*\*\* in database \w+ \*\*\*\s*/, "").trim();
}

/** The page a message names without naming its btree: its owner is looked up in dbstat. */
export function pageOf(message: string): number | null {
  const text = messageText(message);
  if (/^Tree \d+ /.test(text) || /^Page \d+: never used$/.test(text)) return null;
  const page = /\bpage (\d+)\b/i.exec(text);
  return page ? Number(page[1]) : null;
}

export function attribute(
  message: string,
  schema: readonly SchemaObject[],
  pageOwners: ReadonlyMap<number, string> = new Map(),
): StorageFinding {
  const text = messageText(message);
  const finding = (damage: StorageDamage, object: string | null): StorageFinding => ({
    damage,
    object,
    message: text,
  });
  const byName = (name: string | undefined): StorageFinding => {
    const object = schema.find((o) => o.name === name);
    if (name === "sqlite_schema" || name === "sqlite_master")
      return finding(StorageDamage.table, "sqlite_schema");
    if (!object) return finding(StorageDamage.unknown, null);
    return finding(
      object.type === "index" ? StorageDamage.index : StorageDamage.table,
      object.name,
    );
  };
  const tree = /^Tree (\d+) page \d+/.exec(text);
  if (tree) {
    const root = Number(tree[1]);
    // page 1 is the root of sqlite_schema itself
    if (root === 1) return finding(StorageDamage.table, "sqlite_schema");
    return byName(schema.find((o) => o.rootpage === root)?.name);
  }
  if (/^Page \d+: never used$/.test(text)) return finding(StorageDamage.freeSpace, null);
  // a check of one table that stopped on a page it could not read (storage-check.ts)
  const stopped = /^table (\S+): \w+ stopped: /.exec(text);
  if (stopped && schema.some((o) => o.type === "table" && o.name === stopped[1]))
    return finding(StorageDamage.table, stopped[1] as string);
  const page = pageOf(text);
  if (page !== null) return byName(pageOwners.get(page));
  const index = indexMessage.exec(text);
  if (index && schema.some((o) => o.type === "index" && o.name === index[1]))
    return finding(StorageDamage.index, index[1] as string);
  const row = rowMessage.exec(text);
  if (row) return finding(StorageDamage.table, (row[1] ?? row[2]) as string);
  return finding(StorageDamage.unknown, null);
}

/** The lines of PRAGMA quick_check / integrity_check, "ok" left out. */
export function attributeAll(
  messages: readonly string[],
  schema: readonly SchemaObject[],
  pageOwners: ReadonlyMap<number, string> = new Map(),
): StorageFinding[] {
  return messages.filter((m) => m !== "ok").map((m) => attribute(m, schema, pageOwners));
}
