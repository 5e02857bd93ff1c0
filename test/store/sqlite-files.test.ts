import { randomBytes } from "node:crypto";
import { copyFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { StoreError } from "../../src/core/errors/store-errors.js";
import { Database } from "../../src/store/sqlite/driver.js";
import {
  assertStoreFileUsable,
  inspectStoreFile,
  storeFailure,
} from "../../src/store/sqlite/file-check.js";
import { backupSqliteFile, verifyStoreCopy } from "../../src/store/sqlite/file-copy.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { newRun, tempDir as sqliteTempDir } from "./sqlite-fixtures.js";

/** The SQLite store file itself: header checks, online copies, read-only opens. */
const tempDir = (): string => sqliteTempDir("sqlite-files");

async function storeWithRuns(path: string, count: number): Promise<SqliteStore> {
  const store = SqliteStore.open({ path });
  await store.submitRuns(
    Array.from({ length: count }, (_, i) => newRun({ input: { i, text: "x".repeat(500) } })),
  );
  return store;
}

describe("inspectStoreFile", () => {
  it("tells missing, empty, random and truncated files from good ones", async () => {
    const dir = tempDir();
    const path = join(dir, "keel.db");
    expect(inspectStoreFile(path)).toEqual({ kind: "missing", orphanWal: false });
    writeFileSync(`${path}-wal`, randomBytes(64));
    expect(inspectStoreFile(path)).toEqual({ kind: "missing", orphanWal: true });
    expect(() => assertStoreFileUsable(path)).toThrow(/write-ahead log .* still holds data/);
    rmSync(`${path}-wal`);
    writeFileSync(path, "");
    // only a missing file is a new store: an empty one lost its data
    expect(inspectStoreFile(path)).toMatchObject({ kind: "corrupt", bytes: 0, reason: /0 bytes/ });
    expect(() => assertStoreFileUsable(path)).toThrow(/corrupt \(0 bytes/);
    writeFileSync(path, randomBytes(20_000));
    expect(inspectStoreFile(path)).toMatchObject({ kind: "corrupt", reason: /not an SQLite/ });
    rmSync(path);

    await (await storeWithRuns(path, 200)).close();
    const good = join(dir, "good.db");
    copyFileSync(path, good);
    const bytes = statSync(good).size;
    expect(inspectStoreFile(path)).toEqual({ kind: "ok", bytes });
    for (const size of [50, 4096, Math.floor(bytes / 2), bytes - 4096, bytes - 1]) {
      copyFileSync(good, path);
      truncateSync(path, size);
      expect(inspectStoreFile(path), `truncated to ${size}`).toMatchObject({
        kind: "corrupt",
        reason: /truncated/,
      });
    }
  });

  it("trusts a file whose newest pages are still in the WAL of a live connection", async () => {
    const path = join(tempDir(), "keel.db");
    const store = await storeWithRuns(path, 300);
    try {
      expect(inspectStoreFile(path).kind).toBe("ok");
    } finally {
      await store.close();
    }
  });

  it("makes SqliteStore.open refuse a corrupt file by name, naming keel db restore", () => {
    const path = join(tempDir(), "keel.db");
    writeFileSync(path, randomBytes(8192));
    let caught: unknown;
    try {
      SqliteStore.open({ path });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(StoreError);
    expect((caught as StoreError).code).toBe("store_corrupt");
    expect((caught as Error).message).toMatch(/keel db restore/);
  });
});

describe("storeFailure", () => {
  it("turns SQLite corruption codes into store_corrupt and leaves other errors alone", () => {
    const malformed = Object.assign(new Error("database disk image is malformed"), {
      code: "SQLITE_CORRUPT",
    });
    expect(storeFailure(malformed)).toMatchObject({ code: "store_corrupt" });
    expect(storeFailure(malformed)?.message).toMatch(/keel db restore/);
    expect(storeFailure(Object.assign(new Error("x"), { code: "SQLITE_BUSY" }))).toBeUndefined();
    expect(storeFailure("a string")).toBeUndefined();
  });
});

describe("online copies", () => {
  it("copies a store in use, and the copy is one checked, self-contained file", async () => {
    const dir = tempDir();
    const path = join(dir, "keel.db");
    const store = await storeWithRuns(path, 120);
    try {
      const copy = join(dir, "copy.db");
      await backupSqliteFile(path, copy);
      expect(verifyStoreCopy(copy)).toMatchObject({ integrity: "ok", runs: 120 });
      expect(inspectStoreFile(`${copy}`).kind).toBe("ok");
      expect(() => statSync(`${copy}-wal`)).toThrow();
      const reopened = SqliteStore.open({ path: copy, readonly: true });
      expect((await reopened.listRuns({ limit: 500 })).runs).toHaveLength(120);
      await reopened.close();
    } finally {
      await store.close();
    }
  });

  it("refuses an SQLite file that is not a keel store, and a store newer than this keel", async () => {
    const dir = tempDir();
    const other = join(dir, "other.db");
    const db = new Database(other);
    db.exec("CREATE TABLE notes (x)");
    db.close();
    expect(() => verifyStoreCopy(other)).toThrow(/not a keel store/);

    const newer = join(dir, "newer.db");
    await (await storeWithRuns(newer, 1)).close();
    const raw = new Database(newer);
    raw
      .prepare(
        "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)",
      )
      .run(999, "future", "x", 0);
    raw.close();
    expect(() => verifyStoreCopy(newer)).toThrow(/newer than this keel/);
  });

  it("reads beside a writer on a read-only connection, which cannot write", async () => {
    const path = join(tempDir(), "keel.db");
    const writer = await storeWithRuns(path, 3);
    const reader = SqliteStore.open({ path, readonly: true });
    try {
      expect((await reader.checkIntegrity()).runs).toBe(3);
      await expect(reader.setSetting("k", 1, { actor: "test", at: Date.now() })).rejects.toThrow(
        /readonly/,
      );
    } finally {
      await reader.close();
      await writer.close();
    }
  });
});
