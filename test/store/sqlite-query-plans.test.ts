import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { placedWaitingSql } from "../../src/store/sqlite/cluster.js";
import { Database } from "../../src/store/sqlite/driver.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { newRun, tempDir } from "./sqlite-fixtures.js";

/** Reads made at every metrics scrape: each must go through its partial index, not every run. */
describe("SQLite query plans of the scrape-time reads", () => {
  it("counts runs waiting for a placement from runs_placed alone", async () => {
    const path = join(tempDir("sqlite-plans"), "keel.db");
    const store = SqliteStore.open({ path });
    onTestFinished(() => store.close());
    await store.submitRuns(Array.from({ length: 50 }, () => newRun()));
    const db = new Database(path, { readonly: true });
    onTestFinished(() => {
      db.close();
    });
    const plan = (
      db.prepare(`EXPLAIN QUERY PLAN ${placedWaitingSql}`).all(Date.now()) as { detail: string }[]
    )
      .map((r) => r.detail)
      .join("; ");
    expect(plan).toContain("USING INDEX runs_placed");
    expect(plan).not.toContain("runs_status");
    expect(await store.placedWaiting(Date.now())).toEqual([]);
  });
});
