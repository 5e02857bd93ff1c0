import { createRequire } from "node:module";
import type pg from "pg";

/**
 * The `pg` module, loaded on first use: every keel command and node imports this folder through
 * open-store.ts, and a SQLite store should not pay pg's load time (about 70 ms) at each start.
 */
const require = createRequire(import.meta.url);
let loaded: typeof pg | undefined;

export function pgModule(): typeof pg {
  return (loaded ??= require("pg") as typeof pg);
}
