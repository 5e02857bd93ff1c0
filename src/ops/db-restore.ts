import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { InvalidInputError } from "../core/errors/definition-errors.js";
import { StoreError } from "../core/errors/store-errors.js";
import type { KeelErrorCode } from "../core/errors/codes.js";
import { isKeelError } from "../core/errors/keel-error.js";
import {
  backupStoreFile,
  inspectStoreFile,
  verifyStoreCopy,
  type StoreCopyInfo,
} from "../store/files.js";
import { assertNoNodeRunning, fileStamp, fsyncDir, serverStoreUrl, storeFile } from "./db-files.js";
import type { RestoreResult } from "./db-results.js";
import { restoreServerStore } from "./db-server.js";

export type { RestoreResult };

/**
 * `keel db restore F`: puts a checked copy of F in place of the store, with no node running. The
 * current store (with its -wal and -shm, which belong to it and would corrupt the restored file)
 * is moved aside to `keel.db.replaced-<time>` and kept. Without `apply` it only checks F and
 * says what it would do. A PostgreSQL store is restored from a pg_dump file (db-server.ts).
 */
export interface RestoreOptions {
  home: string;
  from: string;
  apply: boolean;
  now?: () => number;
}

const sidecars = ["", "-wal", "-shm"];

export async function restoreStore(options: RestoreOptions): Promise<RestoreResult> {
  const now = options.now ?? Date.now;
  const url = serverStoreUrl(options.home);
  if (url !== null) return restoreServerStore({ ...options, url, now });
  const started = now();
  const from = resolve(options.from);
  const file = storeFile(options.home);
  if (!existsSync(from))
    throw new InvalidInputError(`${from} does not exist; name a backup file to restore`, {
      file: from,
    });
  if (from === file)
    throw new InvalidInputError(`${from} is the store itself; name a backup file`, { file: from });
  assertNoNodeRunning(options.home, "restoring");

  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const temp = join(dirname(file), `.keel.db.restore-${randomBytes(4).toString("hex")}.tmp`);
  closeSync(openSync(temp, "wx", 0o600));
  try {
    const info = await checkedCopy(from, temp);
    const stamp = fileStamp(started);
    const replaced = `${file}.replaced-${stamp}`;
    const present = sidecars.filter((s) => existsSync(file + s));
    const result: RestoreResult = {
      restored: false,
      from,
      file,
      replaced: present.includes("") ? replaced : null,
      movedAside: present.map((s) => replaced + s),
      bytes: info.bytes,
      schemaVersion: info.schemaVersion,
      runs: info.runs,
      ms: 0,
    };
    if (!options.apply) return { ...result, ms: now() - started };
    // a node started while F was being checked must not have its store swapped underneath it
    assertNoNodeRunning(options.home, "restoring");
    for (const suffix of present) renameSync(file + suffix, replaced + suffix);
    renameSync(temp, file);
    fsyncDir(dirname(file));
    return { ...result, restored: true, ms: now() - started };
  } finally {
    for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(temp + suffix, { force: true });
  }
}

/** Copies F through SQLite (its own WAL included) into `temp` and checks the copy. */
async function checkedCopy(from: string, temp: string): Promise<StoreCopyInfo> {
  const state = inspectStoreFile(from);
  if (state.kind === "corrupt")
    throw new StoreError("backup_invalid", `${from} is not a usable keel store: ${state.reason}`);
  try {
    await backupStoreFile(from, temp);
  } catch (cause) {
    throw new StoreError(
      "backup_invalid",
      `${from} is not a usable keel store: ${(cause as Error).message}`,
      cause,
    );
  }
  try {
    return verifyStoreCopy(temp);
  } catch (error) {
    // name the file the operator gave, not the temp copy
    if (isKeelError(error))
      throw new StoreError(error.code as KeelErrorCode, error.message.replace(temp, from), error);
    throw error;
  }
}
