import { closeSync, openSync, readSync, statSync } from "node:fs";
import { StoreError } from "../../core/errors/store-errors.js";

/**
 * A look at the store file before SQLite opens it: reads its 100-byte header and its size, no
 * lock taken. Random bytes and truncated files are caught here, at once and by name, instead of
 * as "malformed" errors from whichever query first touches a missing page.
 */
export type StoreFileState =
  | { kind: "ok"; bytes: number }
  | { kind: "empty" }
  /** `orphanWal`: the store's write-ahead log is still there with data in it */
  | { kind: "missing"; orphanWal: boolean }
  | { kind: "corrupt"; bytes: number; reason: string };

const magic = Buffer.from("SQLite format 3\0", "latin1");

function sizeOf(path: string): number | null {
  try {
    return statSync(path).size;
  } catch {
    return null;
  }
}

function readHeader(path: string): Buffer {
  const fd = openSync(path, "r");
  try {
    const header = Buffer.alloc(100);
    readSync(fd, header, 0, 100, 0);
    return header;
  } finally {
    closeSync(fd);
  }
}

export function inspectStoreFile(path: string): StoreFileState {
  // a PostgreSQL store (open-store.ts storeLocation): the server checks its own storage
  if (/^postgres(ql)?:\/\//i.test(path)) return { kind: "ok", bytes: 0 };
  const bytes = sizeOf(path);
  const walBytes = sizeOf(`${path}-wal`) ?? 0;
  if (bytes === null) return { kind: "missing", orphanWal: walBytes > 0 };
  if (bytes === 0) return { kind: "empty" };
  const corrupt = (reason: string): StoreFileState => ({ kind: "corrupt", bytes, reason });
  if (bytes < 100) return corrupt(`only ${bytes} bytes, shorter than an SQLite header: truncated`);
  const header = readHeader(path);
  if (!header.subarray(0, 16).equals(magic))
    return corrupt("not an SQLite database: the file does not start with the SQLite header");
  const raw = header.readUInt16BE(16);
  const pageSize = raw === 1 ? 65536 : raw;
  if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0)
    return corrupt(`the header names an impossible page size (${raw})`);
  // with a non-empty WAL the file may legitimately lag its newest pages until the next checkpoint
  if (walBytes > 0) return { kind: "ok", bytes };
  if (bytes % pageSize !== 0)
    return corrupt(`${bytes} bytes is not a whole number of ${pageSize}-byte pages: truncated`);
  const pages = header.readUInt32BE(28);
  // the header's page count is only valid when the change counter matches "version-valid-for"
  const valid = pages > 0 && header.readUInt32BE(24) === header.readUInt32BE(92);
  if (valid && bytes < pages * pageSize)
    return corrupt(
      `${bytes} bytes, but its header counts ${pages} pages of ${pageSize}: truncated`,
    );
  return { kind: "ok", bytes };
}

export function corruptStoreError(path: string, reason: string, cause?: unknown): StoreError {
  return new StoreError(
    "store_corrupt",
    `the store file ${path} is corrupt (${reason}). Stop keel if it runs, then restore the newest good backup with \`keel db restore <backup-file> --yes\`, or move the file aside to start with an empty store.`,
    cause,
  );
}

/** Throws for a file SQLite must not open: corrupt, or deleted while its WAL still holds data. */
export function assertStoreFileUsable(path: string): void {
  const state = inspectStoreFile(path);
  if (state.kind === "corrupt") throw corruptStoreError(path, state.reason);
  if (state.kind === "missing" && state.orphanWal)
    throw new StoreError(
      "store_missing",
      `the store file ${path} is missing but its write-ahead log ${path}-wal still holds data: the file was deleted or moved while in use. Restore it with \`keel db restore <backup-file> --yes\`, or move ${path}-wal and ${path}-shm aside to start with an empty store.`,
    );
}

/** An SQLite error raised mid-query by a damaged file, as the store error that says what to do. */
export function storeFailure(error: unknown): StoreError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string" || !/^SQLITE_(CORRUPT|NOTADB)/.test(code)) return undefined;
  return new StoreError(
    "store_corrupt",
    `the store is corrupt (${(error as Error).message}). Run \`keel db check\`; stop keel, then restore the newest good backup with \`keel db restore <backup-file> --yes\`.`,
    error,
  );
}
