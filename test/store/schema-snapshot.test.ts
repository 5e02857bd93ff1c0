import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Database } from "../../src/store/sqlite/driver.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { tempDir } from "./sqlite-fixtures.js";

/**
 * The schema of a freshly migrated store, committed beside this test (graphile-worker's
 * __tests__/schema.sql): every schema change shows in review as a diff of schema.sqlite.sql.
 */
const snapshotFile = fileURLToPath(new URL("./schema.sqlite.sql", import.meta.url));
const updateCommand = "KEEL_UPDATE_SCHEMA=1 npx vitest run test/store/schema-snapshot.test.ts";

/** The ledger, then sqlite_master's statements in a stable order, trailing spaces and blank lines dropped. */
function dumpSchema(path: string): string {
  const db = new Database(path, { readonly: true });
  try {
    const objects = db
      .prepare(
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY tbl_name, type DESC, name",
      )
      .all() as { sql: string }[];
    const ledger = db
      .prepare("SELECT version, name, breaking FROM schema_migrations ORDER BY version")
      .all() as { version: number; name: string; breaking: number }[];
    const statements = objects.map(
      (o) =>
        `${o.sql
          .split("\n")
          .map((line) => line.trimEnd())
          .filter((line) => line.trim() !== "")
          .join("\n")};`,
    );
    const migrations = ledger.map(
      (m) => `-- ${m.version} ${m.name}${m.breaking ? " (breaking)" : ""}`,
    );
    return `-- keel's SQLite schema after every migration. Made by ${updateCommand}\n${migrations.join("\n")}\n\n${statements.join("\n\n")}\n`;
  } finally {
    db.close();
  }
}

describe("the store schema", () => {
  it("matches the committed snapshot test/store/schema.sqlite.sql", async () => {
    const path = join(tempDir("schema"), "keel.db");
    await SqliteStore.open({ path }).close();
    const actual = dumpSchema(path);
    if (process.env.KEEL_UPDATE_SCHEMA === "1") {
      writeFileSync(snapshotFile, actual);
      return;
    }
    const committed = existsSync(snapshotFile) ? readFileSync(snapshotFile, "utf8") : "";
    expect(
      actual,
      `the schema of a fresh store differs from test/store/schema.sqlite.sql. If the change is meant (a new migration), update the file with\n  ${updateCommand}\nand commit it with the migration`,
    ).toBe(committed);
  });
});
