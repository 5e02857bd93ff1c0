import type { StoreFiles } from "../store-files.js";
import { inspectStoreFile, storeFailure } from "./file-check.js";
import { backupSqliteFile, verifyStoreCopy } from "./file-copy.js";

/** The SQLite file's side of the StoreFiles role (../store-files.ts). */
export const sqliteFiles: StoreFiles = {
  inspect: inspectStoreFile,
  backup: backupSqliteFile,
  verifyCopy: verifyStoreCopy,
  failure: storeFailure,
};
