import { statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { Database } from "../../src/store/sqlite/driver.js";
import {
  Checkpointer,
  cutWal,
  type WalCheckpointResult,
} from "../../src/store/sqlite/checkpointer.js";
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
    // the opener set both from the free space already: the thread sets them again on its ticks
    db.pragma("journal_size_limit = 4096");
    db.pragma("wal_autocheckpoint = 1");
    checkpointer.start();
    const limit = walLimitFor(freeBytes(dir));
    const pageSize = db.pragma("page_size", { simple: true }) as number;
    const deadline = Date.now() + 3000;
    while (db.pragma("journal_size_limit", { simple: true }) !== 2 * limit && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    // a restarted WAL file keeps up to twice the limit: cutting it on every restart stalled writes
    expect(db.pragma("journal_size_limit", { simple: true })).toBe(2 * limit);
    expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(
      Math.ceil((2 * limit) / pageSize),
    );
  });
});

describe("a node's checkpoint thread, as it starts", () => {
  it("keeps the backstop the connection was opened with, so the node's first commit does not copy a producer's backlog", async () => {
    const dir = tempDir();
    const path = join(dir, "keel.db");
    const db = openSqlite({ path });
    const checkpointer = new Checkpointer(db, path);
    onTestFinished(async () => {
      await checkpointer.stop();
      db.close();
    });
    const pageSize = db.pragma("page_size", { simple: true }) as number;
    const opened = db.pragma("wal_autocheckpoint", { simple: true }) as number;
    expect(opened).toBe(Math.ceil((2 * walLimitFor(freeBytes(dir))) / pageSize));
    checkpointer.start();
    // read in the same turn, before the thread's first tick: from the smallest limit (2 MiB)
    // instead, a 2.8 MiB WAL left by 5000 submits was checkpointed inside the node's first claim
    expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(opened);
    expect(db.pragma("journal_size_limit", { simple: true })).toBe(2 * walLimitFor(freeBytes(dir)));
  });
});

describe("cutting a big WAL back", () => {
  type Mode = "PASSIVE" | "RESTART" | "TRUNCATE";
  /** a writer and the checkpoint's own connection on one file, its WAL 60 commits long */
  function walOf60Commits() {
    const path = join(tempDir(), "keel.db");
    const writer = new Database(path);
    writer.pragma("journal_mode = WAL");
    writer.pragma("wal_autocheckpoint = 0");
    writer.exec("CREATE TABLE t (x BLOB)");
    const insert = writer.prepare("INSERT INTO t VALUES (randomblob(6000))");
    for (let i = 0; i < 60; i++) insert.run();
    const own = new Database(path);
    onTestFinished(() => {
      own.close();
      writer.close();
    });
    const pageSize = writer.pragma("page_size", { simple: true }) as number;
    const framesNow = (): number =>
      (own.pragma("wal_checkpoint(PASSIVE)") as WalCheckpointResult[])[0]!.log;
    return { path, writer, insert, own, pageSize, framesNow };
  }

  /**
   * cutWal over that WAL, a limit of 16 pages and 4 passes, with the writer's commit running
   * across the passes it is told to; the checkpoint modes it used, in order
   */
  function cut(
    wal: ReturnType<typeof walOf60Commits>,
    writesDuringPass: (pass: number) => boolean,
    truncate = false,
  ): { modes: Mode[]; result: WalCheckpointResult } {
    const modes: Mode[] = [];
    const checkpoint = (mode: Mode): WalCheckpointResult => {
      modes.push(mode);
      // begun before the checkpoint looks and committed after it: frames it could not copy
      const writing = mode === "PASSIVE" && writesDuringPass(modes.length);
      if (writing) {
        wal.writer.exec("BEGIN IMMEDIATE");
        wal.insert.run();
      }
      const [result] = wal.own.pragma(`wal_checkpoint(${mode})`) as WalCheckpointResult[];
      if (writing) wal.writer.exec("COMMIT");
      return result!;
    };
    const options = { pageSize: wal.pageSize, limitBytes: 16 * wal.pageSize, passes: 4 };
    const result = cutWal(checkpoint, { ...options, truncate, copyFirst: true });
    return { modes, result };
  }

  it("copies without holding up writes until a pass finds nothing new; the next write starts over", () => {
    const wal = walOf60Commits();
    const { modes, result } = cut(wal, (pass) => pass === 1);
    expect(modes).toEqual(["PASSIVE", "PASSIVE", "PASSIVE"]);
    expect(result).toMatchObject({ busy: 0 });
    expect(result.log).toBe(result.checkpointed);
    wal.insert.run();
    // the WAL began again: only that commit's frames are in it
    expect(wal.framesNow()).toBeLessThan(5);
  });

  it("cuts a WAL that grows during every pass with RESTART, after which it starts over", () => {
    const wal = walOf60Commits();
    const { modes, result } = cut(wal, () => true);
    expect(modes).toEqual(["PASSIVE", "PASSIVE", "PASSIVE", "PASSIVE", "RESTART"]);
    expect(result).toMatchObject({ busy: 0 });
    wal.insert.run();
    expect(wal.framesNow()).toBeLessThan(5);
  });

  it("cuts the file to zero bytes where space is short", () => {
    const wal = walOf60Commits();
    const { modes } = cut(wal, () => false, true);
    expect(modes).toEqual(["PASSIVE", "TRUNCATE"]);
    expect(statSync(`${wal.path}-wal`).size).toBe(0);
  });
});
