import { mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import type { SqliteDurability } from "./sqlite/open.js";
import { SqliteStore } from "./sqlite/sqlite-store.js";
import type { Store } from "./store.js";

/**
 * Picks the backend from the home folder or a store URL. Today: `sqlite:` paths (the default,
 * `$KEEL_HOME/keel.db`). PostgreSQL URLs come with the PostgreSQL backend.
 */
export interface OpenStoreOptions {
  home?: string;
  url?: string;
  durability?: SqliteDurability;
}

export function resolveHome(home?: string): string {
  return resolve(home ?? process.env.KEEL_HOME ?? join(homedir(), ".keel"));
}

export function storePathFor(home: string): string {
  return join(home, "keel.db");
}

export function openStore(options: OpenStoreOptions = {}): Store {
  const url = options.url ?? process.env.KEEL_STORE;
  if (url && /^postgres(ql)?:\/\//.test(url)) {
    throw new Error(
      "PostgreSQL stores are not supported by this build yet; use the embedded SQLite store (leave KEEL_STORE unset)",
    );
  }
  if (url)
    return SqliteStore.open({
      path: resolve(url.replace(/^sqlite:(\/\/)?/, "")),
      durability: options.durability,
    });
  const home = resolveHome(options.home);
  mkdirSync(home, { recursive: true, mode: 0o700 });
  return SqliteStore.open({ path: storePathFor(home), durability: options.durability });
}
