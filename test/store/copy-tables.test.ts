import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Database } from "../../src/store/sqlite/driver.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { inventoryTables } from "../../src/store/inventory.js";
import { copiedTables, uncopiedTables } from "../../src/store/store-copy.js";
import { tempDir } from "./sqlite-fixtures.js";

/**
 * `keel db copy` decides on every table of the SQLite store: copied, or left behind with a reason
 * (store-copy.ts). A migration that adds a table fails here until it is put on one side.
 */
describe("keel db copy's tables", () => {
  it("are every table of a fresh SQLite store, each copied or left behind with why", async () => {
    const path = join(tempDir("copy-tables"), "keel.db");
    await SqliteStore.open({ path }).close();
    const db = new Database(path, { readonly: true });
    const tables = (
      db
        .prepare(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .all() as { name: string }[]
    ).map((r) => r.name);
    db.close();
    const decided = [...copiedTables, ...Object.keys(uncopiedTables)];
    expect(new Set(decided).size, "a table both copied and left behind").toBe(decided.length);
    expect([...decided].sort()).toEqual(tables);
    // `db check` counts every one of them but the ledgers
    const ledgers = ["schema_migrations", "transition_ids"];
    expect([...inventoryTables, ...ledgers].sort()).toEqual(tables);
  });
});
