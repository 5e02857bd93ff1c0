import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  Database,
  driverPackage,
  driverPackageFor,
  nodeApiForDriver13,
} from "../../src/store/sqlite/driver.js";

/** Which better-sqlite3 keel loads: chosen by Node-API version, each driver an optional dependency. */
describe("the SQLite driver", () => {
  it("is better-sqlite3 13 from Node-API 10 on (Node 22.14+), 12 below (Node 20, 22.0 to 22.13)", () => {
    expect(nodeApiForDriver13).toBe(10);
    expect(driverPackageFor(9)).toBe("better-sqlite3-v12");
    expect(driverPackageFor(10)).toBe("better-sqlite3");
    expect(driverPackageFor(11)).toBe("better-sqlite3");
    expect(driverPackage).toBe(driverPackageFor(Number(process.versions.napi)));
  });

  it("loads on this Node and outlives statements collected by the GC", () => {
    const db = new Database(":memory:");
    for (let i = 0; i < 5000; i++) expect(db.prepare("SELECT ? AS n").get(i)).toEqual({ n: i });
    db.close();
  });

  it("is declared optional, so npm skips the one whose engines exclude the installing Node", () => {
    const pkg = JSON.parse(
      readFileSync(new URL("../../package.json", import.meta.url), "utf8"),
    ) as Record<string, Record<string, string> | undefined>;
    expect(pkg.dependencies?.["better-sqlite3"]).toBeUndefined();
    expect(pkg.optionalDependencies?.["better-sqlite3"]).toMatch(/^\^13\./);
    // 12.9.0: the last 12.x with Node 20 binaries, and whose engines stop before Node 26
    expect(pkg.optionalDependencies?.["better-sqlite3-v12"]).toBe("npm:better-sqlite3@12.9.0");
  });
});
