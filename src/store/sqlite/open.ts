import { Database } from "./driver.js";
import { chmodSync, existsSync, mkdirSync, statfsSync } from "node:fs";
import { dirname } from "node:path";
import { StoreError } from "../../core/errors/store-errors.js";
import { assertStoreFileUsable, corruptStoreError } from "./file-check.js";

/**
 * Opens the SQLite file with keel's pragmas. Durability:
 * - "normal" (default): WAL + synchronous=NORMAL. A committed write survives any process crash
 *   (kill -9 included); a power loss or kernel crash may lose the last transactions.
 * - "full": WAL + synchronous=FULL. Every commit is fsynced: survives power loss too, slower.
 */
export type SqliteDurability = "normal" | "full";

export interface SqliteOpenOptions {
  path: string;
  durability?: SqliteDurability;
  busyTimeoutMs?: number;
  readonly?: boolean;
}

export type SqliteDb = Database;

/**
 * The WAL's size limits (see checkpointer.ts). A reset WAL file is truncated to `walLimitBytes`,
 * and on a small or nearly full disk the WAL is cut back past it: a burst of writes must not keep
 * disk space that the database file needs to absorb the WAL, or a disk that filled once stays
 * full. With room to spare the limit grows with the free space, up to `walMaxBytes`: each cut
 * makes the node's writes wait for a checkpoint, which at 1 MiB came every few milliseconds of a
 * draining backlog and halved its throughput.
 */
export const walLimitBytes = 1024 * 1024;
export const walMaxBytes = 16 * 1024 * 1024;
/** the WAL may take this share of the free space before it is cut back */
export const walFreeShare = 1 / 32;

/**
 * The limit for a disk with `freeBytes` free: a share of it, between the two bounds. Self-contained
 * (no module names inside): the checkpoint thread runs this very function from its source text.
 */
export function walLimitFor(
  freeBytes: number,
  min: number = walLimitBytes,
  max: number = walMaxBytes,
  share: number = walFreeShare,
): number {
  return Math.min(max, Math.max(min, Math.floor(freeBytes * share)));
}

/**
 * Free space of the filesystem holding `dir`; 0 (the smallest limit) when it cannot be read.
 * Self-contained too: the checkpoint thread runs it from its source text and passes its own
 * statfsSync (an imported name may be renamed by whatever compiled this file).
 */
export function freeBytes(dir: string, statfs: typeof statfsSync = statfsSync): number {
  try {
    const fs = statfs(dir);
    return Number(fs.bavail) * Number(fs.bsize);
  } catch {
    return 0;
  }
}

/**
 * What a connection does with a WAL past `limitBytes` (the node's checkpoint thread keeps it
 * under that): SQLite's own checkpoint runs only at twice the limit, and a WAL file restarted
 * from its start is cut back to twice the limit, not below. A cut on every restart cost the
 * writer that restarted it an ftruncate of 5-25 ms (with its lock held: a producer's submit, or
 * the node's event loop), and the next commits only grew the file again.
 */
export function setWalBounds(db: SqliteDb, limitBytes: number): void {
  const pageSize = db.pragma("page_size", { simple: true }) as number;
  db.pragma(`wal_autocheckpoint = ${Math.ceil((2 * limitBytes) / pageSize)}`);
  db.pragma(`journal_size_limit = ${2 * limitBytes}`);
}

export function openSqlite(options: SqliteOpenOptions): SqliteDb {
  const { path } = options;
  if (path !== ":memory:") {
    const dir = dirname(path);
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
    // random bytes or a truncated file: refuse by name now, not mid-query later
    assertStoreFileUsable(path);
  }
  const isNew = path === ":memory:" || !existsSync(path);
  let db: SqliteDb;
  try {
    db = new Database(path, {
      readonly: options.readonly ?? false,
      fileMustExist: options.readonly ?? false,
    });
  } catch (cause) {
    throw describeOpenError(path, cause);
  }
  try {
    if (isNew && path !== ":memory:") chmodSync(path, 0o600);
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    if (!options.readonly) {
      db.pragma("journal_mode = WAL");
      db.pragma(`journal_size_limit = ${walLimitBytes}`);
    }
    db.pragma(`synchronous = ${options.durability === "full" ? "FULL" : "NORMAL"}`);
    // A process that is not a node (a producer, the CLI) checkpoints only past twice the WAL's
    // limit, as a node's backstop does: with a node running, its checkpoint thread keeps the WAL
    // under that, and at SQLite's default (4 MiB) every commit of the producer ran a checkpoint
    // of its own once a node let the WAL grow past it (2.5 ms per submit instead of 0.5).
    if (!options.readonly && options.durability !== "full" && path !== ":memory:") {
      setWalBounds(db, walLimitFor(freeBytes(dirname(path))));
    }
    db.pragma("temp_store = MEMORY");
    db.pragma("cache_size = -16000");
    // reading the schema fails here, not later, if the file is not a database
    db.prepare("SELECT count(*) FROM sqlite_master").get();
  } catch (cause) {
    db.close();
    throw describeOpenError(path, cause);
  }
  return db;
}

export function describeOpenError(path: string, cause: unknown): StoreError {
  const code = (cause as { code?: string }).code ?? "";
  const message = cause instanceof Error ? cause.message : String(cause);
  if (
    code === "SQLITE_NOTADB" ||
    code === "SQLITE_CORRUPT" ||
    /not a database|malformed/i.test(message)
  ) {
    return corruptStoreError(path, message, cause);
  }
  if (code === "SQLITE_CANTOPEN") {
    return new StoreError(
      "store_unavailable",
      `cannot open the store file ${path} (${message}); check that the folder exists and is writable`,
      cause,
    );
  }
  if (code === "SQLITE_BUSY" || code === "SQLITE_LOCKED") {
    return new StoreError(
      "store_busy",
      `the store file ${path} is locked by another process (${message}); try again`,
      cause,
      true,
    );
  }
  return new StoreError("store_error", `cannot use the store file ${path}: ${message}`, cause);
}
