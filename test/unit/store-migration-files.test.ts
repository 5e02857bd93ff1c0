import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { loadMigrations, pendingMigrations } from "../../src/store/migration-files.js";

function folder(files: string[]): URL {
  const dir = mkdtempSync(join(tmpdir(), "keel-migrations-"));
  for (const f of files) writeFileSync(join(dir, f), `-- ${f}\n`);
  return pathToFileURL(`${dir}/`);
}

describe("migration files", () => {
  it("allows a gap left by a number another feature reserved, and applies what is missing", () => {
    const known = loadMigrations(folder(["001_init.sql", "002_b.sql", "005_e.sql"]));
    expect(known.map((m) => m.version)).toEqual([1, 2, 5]);
    const applied = known.slice(0, 2).map((m) => ({ version: m.version, checksum: m.checksum }));
    expect(pendingMigrations(known, applied).map((m) => m.name)).toEqual(["e"]);
  });

  it("refuses a number used twice", () => {
    expect(() => loadMigrations(folder(["001_init.sql", "001_other.sql"]))).toThrow(/used twice/);
  });

  it("refuses a store with a migration this build does not know, in a gap or past the end", () => {
    const known = loadMigrations(folder(["001_init.sql", "005_e.sql"]));
    const first = { version: 1, checksum: known[0]?.checksum ?? "" };
    expect(() => pendingMigrations(known, [first, { version: 4, checksum: "x" }])).toThrow(
      /migration 4, which this keel does not know/,
    );
    expect(() => pendingMigrations(known, [first, { version: 9, checksum: "x" }])).toThrow(
      /newer than this keel/,
    );
  });
});
