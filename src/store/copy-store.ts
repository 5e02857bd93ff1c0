import { postgresCopyTarget } from "./postgres/copy.js";
import { sqliteCopySource } from "./sqlite/copy.js";
import type { CopyResult } from "./store-copy.js";

/** `keel db copy`: a SQLite file into a PostgreSQL schema (the rules are in store-copy.ts). */
export interface CopyOptions {
  /** empty a target that already holds a store first */
  replace: boolean;
  now?: () => number;
}

export async function copySqliteToPostgres(
  path: string,
  url: string,
  options: CopyOptions,
): Promise<CopyResult> {
  const now = options.now ?? Date.now;
  const started = now();
  const source = sqliteCopySource(path);
  try {
    const result = await postgresCopyTarget(url, source, options.replace);
    return { from: path, ...result, ms: now() - started };
  } finally {
    source.close();
  }
}
