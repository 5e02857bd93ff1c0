import { existsSync, rmSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { InvalidInputError } from "../core/errors/definition-errors.js";
import { StoreError } from "../core/errors/store-errors.js";
import { serverDumps } from "../store/files.js";
import { openStore } from "../store/open-store.js";
import { storeLocation } from "../store/home.js";
import { backupTemp, keepBackup, uniqueBackupPath } from "./backup-rotation.js";
import { fileStamp } from "./db-files.js";
import type { BackupResult, RestoreResult } from "./db-results.js";
import { assertNoLiveNode, requireTool, runTool } from "./db-server-tools.js";

/**
 * `keel db backup` and `restore` on a PostgreSQL store, through pg_dump and pg_restore. A backup
 * is the store's schema in pg_dump's custom format, written under a temp name, its table of
 * contents checked, then renamed into place (0600). A restore renames the current schema aside
 * (`<schema>_replaced_<time>`, kept) and loads the dump in one transaction; if that fails, the
 * half-made schema is dropped and the old one renamed back.
 */
async function storeFacts(): Promise<{ schemaVersion: number; runs: number }> {
  const store = openStore({ readonly: true });
  try {
    const inv = await store.inventory(Date.now());
    return {
      schemaVersion: inv.migrations.at(-1)?.version ?? 0,
      runs: inv.tables.runs ?? 0,
    };
  } finally {
    await store.close();
  }
}

export async function backupServerStore(options: {
  home: string;
  url: string;
  to?: string;
  keep: number;
  now: () => number;
}): Promise<BackupResult> {
  const started = options.now();
  const dest = options.to ? resolve(options.to) : uniqueBackupPath(options.home, started, "pgdump");
  if (existsSync(dest))
    throw new InvalidInputError(`${dest} already exists; choose another --to file`, { file: dest });
  // without pg_dump, the command names the file the operator asked for, not a temp name
  requireTool(serverDumps.dump(options.url, dest), "back up the store");
  const facts = await storeFacts();
  const temp = backupTemp(dest);
  try {
    await runTool(serverDumps.dump(options.url, temp), "back up the store");
    await checkDump(options.url, temp);
    const removed = keepBackup(options.home, temp, dest, options.to ? null : options.keep);
    return {
      file: dest,
      bytes: statSync(dest).size,
      integrity: "ok",
      ...facts,
      ms: options.now() - started,
      removed,
    };
  } finally {
    rmSync(temp, { force: true });
  }
}

/** A dump of this store: its schema, its runs table and its migration ledger are in it. */
async function checkDump(url: string, file: string): Promise<void> {
  const schema = serverDumps.schemaOf(url);
  let listing: string;
  try {
    listing = await runTool(serverDumps.list(file), `read ${file}`);
  } catch (error) {
    throw new StoreError(
      "backup_invalid",
      `${file} is not a dump pg_restore can read: ${(error as Error).message}`,
      error,
    );
  }
  const contents = serverDumps.contents(listing);
  const missing = ["runs", "schema_migrations"].filter(
    (t) => !contents.tables.includes(`${schema}.${t}`),
  );
  if (missing.length > 0)
    throw new StoreError(
      "backup_invalid",
      `${file} holds no keel store in schema "${schema}" (${contents.schemas.length > 0 ? `it has schema ${contents.schemas.join(", ")}` : "it has no schema"}; missing ${missing.join(", ")}). A dump restores into the schema it was taken from: name that one in KEEL_STORE with ?schema=`,
    );
}

export async function restoreServerStore(options: {
  home: string;
  url: string;
  from: string;
  apply: boolean;
  now: () => number;
}): Promise<RestoreResult> {
  const started = options.now();
  const from = resolve(options.from);
  if (!existsSync(from))
    throw new InvalidInputError(`${from} does not exist; name a backup file to restore`, {
      file: from,
    });
  requireTool(serverDumps.restore(options.url, from), `restore ${from}`);
  await checkDump(options.url, from);
  const schema = serverDumps.schemaOf(options.url);
  const aside =
    `${schema}_replaced_${fileStamp(started).replace(/[-:.]/g, "").toLowerCase()}`.slice(0, 63);
  const present = await hasStore(options.now());
  const result: RestoreResult = {
    restored: false,
    from,
    file: storeLocation(options.home),
    replaced: present ? aside : null,
    movedAside: present ? [aside] : [],
    bytes: statSync(from).size,
    schemaVersion: 0,
    runs: 0,
    ms: 0,
    server: true,
  };
  if (!options.apply) return { ...result, ms: options.now() - started };
  const moved = await serverDumps.moveAside(options.url, aside);
  try {
    await runTool(serverDumps.restore(options.url, from), `restore ${from}`);
  } catch (error) {
    if (moved) await serverDumps.moveBack(options.url, aside);
    throw error;
  }
  const facts = await storeFacts();
  return {
    ...result,
    ...facts,
    replaced: moved ? aside : null,
    restored: true,
    ms: options.now() - started,
  };
}

/** whether the schema holds a store; refuses while a node works on it */
async function hasStore(now: number): Promise<boolean> {
  const store = openStore({ readonly: true });
  try {
    await assertNoLiveNode(store, "restoring", now);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === "store_missing") return false;
    throw error;
  } finally {
    await store.close();
  }
}
