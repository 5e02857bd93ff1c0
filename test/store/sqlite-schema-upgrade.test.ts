import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { Database } from "../../src/store/sqlite/driver.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { keelJson } from "../integration/keel-cli.js";
import { startNode, writeConfig, type NodeProcess } from "../integration/node-process.js";
import { tempDir } from "./sqlite-fixtures.js";

/**
 * A node meeting a store upgraded by a newer keel (rolling upgrades): a real store file, migrated,
 * then given a ledger row of a migration this code does not know, as the newer node writes it.
 * Runs the built CLI (dist/): `npm run build` first.
 */
const fixture = fileURLToPath(
  new URL("../integration/fixtures/operator-pipelines.mjs", import.meta.url),
);

async function storeAhead(breaking: 0 | 1 | null): Promise<string> {
  const home = tempDir("schema-ahead");
  await SqliteStore.open({ path: join(home, "keel.db") }).close();
  const db = new Database(join(home, "keel.db"));
  db.prepare(
    "INSERT INTO schema_migrations (version, name, checksum, applied_at, breaking) VALUES (?, ?, ?, ?, ?)",
  ).run(999, "future_columns", "checksum-of-a-newer-keel", Date.now(), breaking);
  db.close();
  return home;
}

let node: NodeProcess | undefined;
afterEach(async () => {
  if (node && node.child.exitCode === null && node.child.signalCode === null) {
    node.child.kill("SIGKILL");
    await node.exited;
  }
  node = undefined;
});

describe("a store newer than this keel", () => {
  it("keeps a node running on a newer non-breaking schema, with a warning", async () => {
    const home = await storeAhead(0);
    const store = SqliteStore.open({ path: join(home, "keel.db") });
    expect(store.schemaWarning).toMatch(
      /schema version 999, newer than this keel .*999 \(future_columns\) is marked non-breaking/,
    );
    await store.close();

    const env = { KEEL_TEST_EFFECTS: join(home, "effects.log") };
    node = startNode(home, writeConfig(home, [fixture]), env);
    await node.ready;
    expect(node.output()).toMatch(/store_schema_ahead|newer than this keel/);
    const run = keelJson(home, ["submit", "ingest", "--input", '{"text":"a b c"}', "--wait"], env);
    expect(run.status).toBe("succeeded");
    node.child.kill("SIGTERM");
    expect(await node.exited).toBe(0);
  }, 60_000);

  it("refuses a newer breaking schema, and an unmarked one, with what to do", async () => {
    for (const breaking of [1, null] as const) {
      const home = await storeAhead(breaking);
      expect(() => SqliteStore.open({ path: join(home, "keel.db") })).toThrow(
        /schema version 999, newer than this keel .*999 \(future_columns\) is breaking: nodes that predate it cannot run on it; upgrade keel/,
      );
      node = startNode(home, writeConfig(home, [fixture]));
      expect(await node.exited).not.toBe(0);
      expect(node.output()).toMatch(/newer than this keel/);
      expect(node.output()).toMatch(/upgrade keel, or restore a backup/);
    }
  }, 60_000);
});
