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
  it("loads numbered files in order and applies only what the store lacks", () => {
    const known = loadMigrations(folder(["002_b.sql", "001_init.sql", "003_c.sql"]));
    expect(known.map((m) => m.version)).toEqual([1, 2, 3]);
    const applied = known.slice(0, 2).map((m) => ({ version: m.version, checksum: m.checksum }));
    expect(pendingMigrations(known, applied).map((m) => m.name)).toEqual(["c"]);
  });

  it("refuses a gap or a number used twice: numbers run 1, 2, 3...", () => {
    expect(() => loadMigrations(folder(["001_init.sql", "003_c.sql"]))).toThrow(/must run 1, 2, 3/);
    expect(() => loadMigrations(folder(["001_init.sql", "001_other.sql"]))).toThrow(
      /must run 1, 2, 3/,
    );
  });

  it("refuses a store newer than this build", () => {
    const known = loadMigrations(folder(["001_init.sql"]));
    const first = { version: 1, checksum: known[0]?.checksum ?? "" };
    expect(() => pendingMigrations(known, [first, { version: 2, checksum: "x" }])).toThrow(
      /newer than this keel/,
    );
  });
});
