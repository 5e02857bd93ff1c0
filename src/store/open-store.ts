import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { sqlitePathFor, type StoreUrlOptions } from "./home.js";
import { PostgresStore } from "./postgres/postgres-store.js";
import { SqliteStore } from "./sqlite/sqlite-store.js";
import type { Store } from "./store.js";

export { isPostgresUrl, resolveHome, sqlitePathFor, storeLocation, storePathFor } from "./home.js";

/**
 * Picks the backend from the home folder or a store URL (`url`, else KEEL_STORE): a SQLite path
 * (`sqlite:` or a plain path; the default is `$KEEL_HOME/keel.db`), or a `postgres://` /
 * `postgresql://` URL with an optional `?schema=` (default `keel`). Opening stays synchronous on
 * both: a PostgreSQL store connects and migrates on its first call. This file, home.ts and
 * files.ts are the only way above the store into a backend's folder (scripts/check-layers.mjs).
 */
export interface OpenStoreOptions extends StoreUrlOptions {
  durability?: StoreDurability;
  /** reads only and never migrates (`keel db check` beside a live node) */
  readonly?: boolean;
  /** an empty store in memory, for read-only commands on a store file that cannot be opened */
  memory?: boolean;
}

/** "full": every commit waits for the disk; "normal": a power loss may lose the newest commits */
export type StoreDurability = "normal" | "full";

export function openStore(options: OpenStoreOptions = {}): Store {
  if (options.memory) return SqliteStore.open({ path: ":memory:" });
  const path = sqlitePathFor(options);
  if (path === null) {
    const url = (options.url ?? process.env.KEEL_STORE) as string;
    return PostgresStore.open({ url, readonly: options.readonly });
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  return SqliteStore.open({ path, durability: options.durability, readonly: options.readonly });
}
