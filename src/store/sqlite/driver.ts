import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";

/**
 * The SQLite driver for this Node. better-sqlite3 13 is built on Node-API: one prebuilt binary
 * for every Node from 22 on, and free of the abort that 12 hits on Node 24.19+ when a statement
 * is garbage-collected (node::ObjectWrap's cleanup hook). 13 crashes on Node 20, where 12 (an
 * optional dependency, built from source at install) is used instead.
 */
const require = createRequire(import.meta.url);
const nodeMajor = Number(process.versions.node.split(".")[0]);

export const driverPackage = nodeMajor >= 22 ? "better-sqlite3" : "better-sqlite3-v12";

export type DatabaseConstructor = typeof BetterSqlite3;

function load(): DatabaseConstructor {
  try {
    return require(driverPackage) as DatabaseConstructor;
  } catch (cause) {
    throw new Error(
      `cannot load the SQLite driver ${driverPackage} for Node ${process.versions.node} (${(cause as Error).message}); reinstall with \`npm install\` on this Node version`,
      { cause },
    );
  }
}

export const Database: DatabaseConstructor = load();
export type Database = BetterSqlite3.Database;
