import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";

/**
 * The SQLite driver for this Node. No single better-sqlite3 release runs on every supported Node:
 * - 13 is built on Node-API 10 (one binary shipped in the package, free of the abort that 12 hits
 *   on Node 24.19+ when a statement is garbage-collected), and Node-API 10 exists from Node
 *   22.14 on only: 13 segfaults on Node 20 and on 22.0 to 22.13.
 * - 12 runs there (12.9.0: the last release with Node 20 binaries to download).
 * Both are optional dependencies whose `engines` let npm skip the one a Node cannot use; the
 * choice here follows the Node-API version, not the Node major.
 */
const require = createRequire(import.meta.url);

/** the first Node-API version better-sqlite3 13 runs on */
export const nodeApiForDriver13 = 10;

export function driverPackageFor(nodeApi: number): "better-sqlite3" | "better-sqlite3-v12" {
  return nodeApi >= nodeApiForDriver13 ? "better-sqlite3" : "better-sqlite3-v12";
}

export const driverPackage = driverPackageFor(Number(process.versions.napi));

export type DatabaseConstructor = typeof BetterSqlite3;

function load(): DatabaseConstructor {
  try {
    return require(driverPackage) as DatabaseConstructor;
  } catch (cause) {
    throw new Error(
      `cannot load the SQLite driver ${driverPackage} for Node ${process.versions.node} (Node-API ${process.versions.napi}): ${(cause as Error).message}. npm installs the driver for the Node that runs \`npm install\`: run it again with this Node (keel's optional dependencies must not be omitted)`,
      { cause },
    );
  }
}

export const Database: DatabaseConstructor = load();
export type Database = BetterSqlite3.Database;
