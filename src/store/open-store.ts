import { mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { redact } from "./postgres/open.js";
import { PostgresStore } from "./postgres/postgres-store.js";
import { SqliteStore } from "./sqlite/sqlite-store.js";
import type { Store } from "./store.js";

/**
 * Picks the backend from the home folder or a store URL (`url`, else KEEL_STORE): a SQLite path
 * (`sqlite:` or a plain path; the default is `$KEEL_HOME/keel.db`), or a `postgres://` /
 * `postgresql://` URL with an optional `?schema=` (default `keel`). Opening stays synchronous on
 * both: a PostgreSQL store connects and migrates on its first call. This file and
 * files.ts are the only way above the store into a backend's folder (scripts/check-layers.mjs).
 */
export interface OpenStoreOptions {
  home?: string;
  url?: string;
  durability?: StoreDurability;
  /** reads only and never migrates (`keel db check` beside a live node) */
  readonly?: boolean;
  /** an empty store in memory, for read-only commands on a store file that cannot be opened */
  memory?: boolean;
}

/** "full": every commit waits for the disk; "normal": a power loss may lose the newest commits */
export type StoreDurability = "normal" | "full";

export function resolveHome(home?: string): string {
  return resolve(home ?? process.env.KEEL_HOME ?? join(homedir(), ".keel"));
}

export function storePathFor(home: string): string {
  return join(home, "keel.db");
}

/** The SQLite file a store URL or home folder names; null for a PostgreSQL URL. */
export function sqlitePathFor(options: OpenStoreOptions = {}): string | null {
  const url = options.url ?? process.env.KEEL_STORE;
  if (url && isPostgresUrl(url)) return null;
  if (url) return resolve(url.replace(/^sqlite:(\/\/)?/, ""));
  return storePathFor(resolveHome(options.home));
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

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

/**
 * Where the store of a home is, as status and health name it: its SQLite file, or the PostgreSQL
 * URL (password hidden), which has no file to inspect (inspectStoreFile passes it as it is).
 */
export function storeLocation(home: string): string {
  const url = process.env.KEEL_STORE;
  if (url && isPostgresUrl(url)) return redact(url);
  return sqlitePathFor({ home }) ?? storePathFor(home);
}
