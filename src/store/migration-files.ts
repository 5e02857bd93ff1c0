import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { StoreError } from "../core/errors/store-errors.js";

/**
 * Numbered, append-only `.sql` migrations (`001_init.sql`, `002_...sql`) per backend. A file's
 * checksum is recorded when it is applied, so an edited migration is caught instead of skipped.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

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
    const sql = readFileSync(`${path}/${file}`, "utf8");
    return {
      version: Number(match[1]),
      name: match[2] as string,
      sql,
      checksum: createHash("sha256").update(sql).digest("hex"),
    };
  });
  migrations.sort((a, b) => a.version - b.version);
  // numbers are reserved by the feature that adds them, so one build may lack another's (004
  // before 005 lands): gaps are allowed, a number used twice is not
  migrations.forEach((m, i) => {
    if (m.version < 1 || migrations[i - 1]?.version === m.version)
      throw new StoreError(
        "migrations_invalid",
        `migration number ${m.version} is ${m.version < 1 ? "below 1" : "used twice"}`,
      );
  });
  return migrations;
}

export interface AppliedMigration {
  version: number;
  checksum: string;
}

/** What to apply, or why the store cannot be used by this code. */
export function pendingMigrations(known: Migration[], applied: AppliedMigration[]): Migration[] {
  const newest = known.at(-1)?.version ?? 0;
  const byVersion = new Map(known.map((m) => [m.version, m]));
  for (const row of applied) {
    const mine = byVersion.get(row.version);
    if (!mine) {
      const why =
        row.version > newest
          ? `is at schema version ${Math.max(...applied.map((a) => a.version))}, newer than this keel (which knows up to ${newest})`
          : `has schema migration ${row.version}, which this keel does not know (it knows ${known.map((m) => m.version).join(", ")})`;
      throw new StoreError(
        "store_too_new",
        `the store ${why}; upgrade keel, or restore a backup taken before the upgrade`,
      );
    }
    if (mine.checksum !== row.checksum) {
      throw new StoreError(
        "migration_changed",
        `migration ${row.version} (${mine.name}) differs from the one applied to this store; migrations are append-only: add a new one instead`,
      );
    }
  }
  const done = new Set(applied.map((a) => a.version));
  return known.filter((m) => !done.has(m.version));
}
