import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import {
  loadMigrations,
  pendingMigrations,
  schemaAheadWarning,
} from "../../src/store/migration-files.js";

function folder(files: string[], marker = "-- keel: non-breaking\n"): URL {
  const dir = mkdtempSync(join(tmpdir(), "keel-migrations-"));
  for (const f of files) writeFileSync(join(dir, f), `${marker}-- ${f}\n`);
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

  it("reads each file's breaking marker, and refuses a file without one", () => {
    expect(loadMigrations(folder(["001_init.sql"], "-- keel: breaking\n"))[0]?.breaking).toBe(true);
    const [plain] = loadMigrations(folder(["001_init.sql"]));
    expect(plain?.breaking).toBe(false);
    // the checksum covers what follows the marker, so marking an applied file changes nothing
    expect(plain?.sql).toBe("-- 001_init.sql\n");
    expect(() => loadMigrations(folder(["001_init.sql"], ""))).toThrow(
      /001_init.sql must start with "-- keel: breaking" or "-- keel: non-breaking"/,
    );
  });

  it("runs on a store ahead by non-breaking migrations only, and says so", () => {
    const known = loadMigrations(folder(["001_init.sql"]));
    const applied = [
      { version: 1, checksum: known[0]?.checksum ?? "" },
      { version: 2, checksum: "x", name: "extra_index", breaking: 0 },
    ];
    expect(pendingMigrations(known, applied)).toEqual([]);
    expect(schemaAheadWarning(known, applied)).toMatch(
      /schema version 2, newer than this keel \(which knows up to 1\); migration 2 \(extra_index\) is marked non-breaking/,
    );
    expect(schemaAheadWarning(known, applied.slice(0, 1))).toBeNull();
    for (const breaking of [1, null]) {
      expect(() => pendingMigrations(known, [applied[0]!, { ...applied[1]!, breaking }])).toThrow(
        /migration 2 \(extra_index\) is breaking/,
      );
    }
  });
});
