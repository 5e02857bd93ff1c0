// The SQLite driver keel itself loads on this Node (keel picks better-sqlite3 12 or 13 by Node
// version in dist/src/store/sqlite/driver.js); the raw case must measure the same binding.
import { createRequire } from "node:module";
import { join } from "node:path";
import { rootDir } from "./common.mjs";

const require = createRequire(join(rootDir, "package.json"));
let cached;

export async function sqliteDriver() {
  if (cached) return cached;
  let Database;
  let pkg;
  try {
    const driver = await import("../../dist/src/store/sqlite/driver.js");
    Database = driver.Database;
    pkg = driver.driverPackage;
  } catch {
    pkg = "better-sqlite3";
    Database = require(pkg);
  }
  const db = new Database(":memory:");
  const sqlite = db.prepare("select sqlite_version() as v").get().v;
  db.close();
  cached = { Database, pkg, version: require(`${pkg}/package.json`).version, sqlite };
  return cached;
}
