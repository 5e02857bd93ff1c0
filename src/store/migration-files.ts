import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { StoreError } from "../core/errors/store-errors.js";

/**
 * Numbered, append-only `.sql` migrations (`001_init.sql`, `002_...sql`) per backend. A file's
 * checksum is recorded when it is applied, so an edited migration is caught instead of skipped.
 *
 * Each file's first line says whether nodes that predate it may keep running on the store once it
 * is applied: `-- keel: breaking` (they must stop: refuse to start) or `-- keel: non-breaking`
 * (they keep running, with a warning). The marker is recorded in the ledger beside the checksum,
 * which is taken over the rest of the file (the marker line came after 001-008 were applied).
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
  breaking: boolean;
}

const markerLine = /^-- keel: (breaking|non-breaking)\n/;

export function loadMigrations(folder: URL): Migration[] {
  const path = fileURLToPath(folder);
  let files: string[];
  try {
    files = readdirSync(path).filter((f) => f.endsWith(".sql"));
  } catch (cause) {
    throw new StoreError(
      "migrations_missing",
      `cannot read the store migrations in ${path}; reinstall keel`,
      cause,
    );
  }
  const migrations = files.map((file) => {
    const match = /^(\d{3,})_([a-z0-9_]+)\.sql$/.exec(file);
    if (!match)
      throw new StoreError(
        "migrations_invalid",
        `migration file ${file} is not named NNN_name.sql`,
      );
    const text = readFileSync(`${path}/${file}`, "utf8");
    const marker = markerLine.exec(text);
    if (!marker)
      throw new StoreError(
        "migrations_invalid",
        `migration file ${file} must start with "-- keel: breaking" or "-- keel: non-breaking" (may nodes that predate it keep running on the store?)`,
      );
    const sql = text.slice(marker[0].length);
    return {
      version: Number(match[1]),
      name: match[2] as string,
      sql,
      checksum: createHash("sha256").update(sql).digest("hex"),
      breaking: marker[1] === "breaking",
    };
  });
  migrations.sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new StoreError(
        "migrations_invalid",
        `migration numbers must run 1, 2, 3...; found ${m.version} at position ${i + 1}`,
      );
  });
  return migrations;
}

export interface AppliedMigration {
  version: number;
  checksum: string;
  /** 1 or 0 as the ledger records it; null (or absent) when not recorded, which counts as breaking */
  breaking?: number | null;
  name?: string;
}

/** What to apply, or why the store cannot be used by this code. */
export function pendingMigrations(known: Migration[], applied: AppliedMigration[]): Migration[] {
  const newest = known.at(-1)?.version ?? 0;
  const ahead = applied.filter((row) => row.version > newest);
  const breaking = ahead.filter((row) => row.breaking !== 0);
  if (breaking.length > 0) {
    throw new StoreError(
      "store_too_new",
      `the store is at schema version ${Math.max(...applied.map((a) => a.version))}, newer than this keel (which knows up to ${newest}), and migration ${breaking.map(describe).join(", ")} is breaking: nodes that predate it cannot run on it; upgrade keel, or restore a backup taken before the upgrade`,
    );
  }
  for (const row of applied) {
    const mine = known[row.version - 1];
    if (mine && mine.checksum !== row.checksum) {
      throw new StoreError(
        "migration_changed",
        `migration ${row.version} (${mine.name}) differs from the one applied to this store; migrations are append-only: add a new one instead`,
      );
    }
  }
  const done = new Set(applied.map((a) => a.version));
  return known.filter((m) => !done.has(m.version));
}

/**
 * The store's migrations newer than this code, all non-breaking (pendingMigrations has refused any
 * other): this node keeps running, and says so.
 */
export function schemaAheadWarning(known: Migration[], applied: AppliedMigration[]): string | null {
  const newest = known.at(-1)?.version ?? 0;
  const ahead = applied.filter((row) => row.version > newest);
  if (ahead.length === 0) return null;
  return `the store is at schema version ${Math.max(...ahead.map((a) => a.version))}, newer than this keel (which knows up to ${newest}); migration ${ahead.map(describe).join(", ")} is marked non-breaking, so this node keeps running, but upgrade it to the newer keel soon`;
}

function describe(row: AppliedMigration): string {
  return row.name ? `${row.version} (${row.name})` : String(row.version);
}
