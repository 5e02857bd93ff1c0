import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { Database } from "../../src/store/sqlite/driver.js";
import { Checkpointer } from "../../src/store/sqlite/checkpointer.js";
import {
  freeBytes,
  openSqlite,
  walLimitBytes,
  walLimitFor,
  walMaxBytes,
} from "../../src/store/sqlite/open.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { newRun, tempDir as sqliteTempDir } from "./sqlite-fixtures.js";

/** How the SQLite store commits: the group commit under a lock it cannot take, the WAL's limit. */
const tempDir = (): string => sqliteTempDir("sqlite-writes");

describe("group commit", () => {
  it("runs a batch again when SQLite gives up on the lock at once, and loses nothing", async () => {
    const path = join(tempDir(), "keel.db");
    // no busy timeout: after its short waits the BEGIN fails with SQLITE_BUSY at once, as a WAL
    // reset by the checkpoint thread can make it fail with any timeout
    const store = SqliteStore.open({ path, busyTimeoutMs: 0 });
    onTestFinished(() => store.close());
    const other = new Database(path);
    onTestFinished(() => {
      other.close();
    });
    other.prepare("BEGIN IMMEDIATE").run();
    setTimeout(() => other.prepare("COMMIT").run(), 60);
    const started = Date.now();
    const results = await store.submitRuns([newRun(), newRun()]);
    expect(results.map((r) => r.created)).toEqual([true, true]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
    expect(await store.countRunsByStatus()).toMatchObject({ pending: 2 });
  });
});

describe("the WAL's limit", () => {
  it("is a 32nd of the free space, never under 1 MiB nor over the most", () => {
    const mib = 1024 * 1024;
    expect(walLimitFor(8 * mib)).toBe(walLimitBytes); // a small tmpfs: cut back early
    expect(walLimitFor(0)).toBe(walLimitBytes);
    expect(walLimitFor(320 * mib)).toBe(10 * mib);
    expect(walLimitFor(80 * 1024 * mib)).toBe(walMaxBytes);
  });

  it("is read by the checkpoint thread, which sets the node's backstop and reset size from it", async () => {
    const dir = tempDir();
    const db = openSqlite({ path: join(dir, "keel.db") });
    const checkpointer = new Checkpointer(db, join(dir, "keel.db"));
    onTestFinished(async () => {
      await checkpointer.stop();
      db.close();
    });
    checkpointer.start();
    const limit = walLimitFor(freeBytes(dir));
    const pageSize = db.pragma("page_size", { simple: true }) as number;
    const deadline = Date.now() + 3000;
    while (db.pragma("journal_size_limit", { simple: true }) !== limit && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    expect(db.pragma("journal_size_limit", { simple: true })).toBe(limit);
    expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(
      Math.ceil((2 * limit) / pageSize),
    );
  });
});
