import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { redact } from "./postgres/open.js";

/**
 * Where a home's store is, without opening it (open-store.ts opens it): the home folder, the
 * SQLite file, or the PostgreSQL URL. Apart from the backends, so that a command that only needs
 * the place (a CLI talking to a running node) loads neither driver nor their queries.
 */
export interface StoreUrlOptions {
  home?: string;
  url?: string;
}

export function resolveHome(home?: string): string {
  return resolve(home ?? process.env.KEEL_HOME ?? join(homedir(), ".keel"));
}

export function storePathFor(home: string): string {
  return join(home, "keel.db");
}

/** The SQLite file a store URL or home folder names; null for a PostgreSQL URL. */
export function sqlitePathFor(options: StoreUrlOptions = {}): string | null {
  const url = options.url ?? process.env.KEEL_STORE;
  if (url && isPostgresUrl(url)) return null;
  if (url) return resolve(url.replace(/^sqlite:(\/\/)?/, ""));
  return storePathFor(resolveHome(options.home));
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
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
