// How SQLite's integrity messages are attributed to what they damage: that decides what keel
// repairs by itself (indexes, free space) and what only a restore can (rows, anything unknown).
import { describe, expect, it } from "vitest";
import { StorageDamage, isRepairable } from "../../src/store/storage.js";
import { attribute } from "../../src/store/sqlite/storage-findings.js";

describe("attributing SQLite's integrity messages", () => {
  const schema = [
    { type: "table", name: "runs", rootpage: 3 },
    { type: "index", name: "runs_status", rootpage: 8 },
  ];

  it("by the btree's root page, the page's owner, the index named, or not at all", () => {
    const cases: [string, StorageDamage, string | null][] = [
      [
        "*** in database main ***\nTree 8 page 47: btreeInitPage() returns error code 11",
        "index",
        "runs_status",
      ],
      ["Tree 3 page 12 cell 4: invalid page number 999", "table", "runs"],
      ["Tree 1 page 1: bad", "table", "sqlite_schema"],
      ["Tree 99 page 5: bad", "unknown", null],
      ["wrong # of entries in index runs_status", "index", "runs_status"],
      ["row 209 missing from index runs_status", "index", "runs_status"],
      ["non-unique entry in index nothing_such", "unknown", null],
      ["CHECK constraint failed in runs", "table", "runs"],
      ["NULL value in runs.status", "table", "runs"],
      ["Page 46: never used", "free_space", null],
      ["Multiple uses for byte 2032 of page 67", "index", "runs_status"],
      ["Multiple uses for byte 2032 of page 68", "unknown", null],
      ["Freelist: invalid page number 12", "unknown", null],
      ["table runs: quick_check stopped: database disk image is malformed", "table", "runs"],
      ["quick_check stopped: database disk image is malformed", "unknown", null],
    ];
    const owners = new Map([[67, "runs_status"]]);
    for (const [message, damage, object] of cases)
      expect(attribute(message, schema, owners), message).toMatchObject({ damage, object });
  });

  it("repairable only when every finding is an index or free space, and the check saw all", () => {
    const index = attribute("Tree 8 page 47: bad", schema);
    const free = attribute("Page 46: never used", schema);
    const table = attribute("Tree 3 page 12: bad", schema);
    expect(isRepairable([index, free], true)).toBe(true);
    expect(isRepairable([index, free], false)).toBe(false);
    expect(isRepairable([index, table], true)).toBe(false);
    expect(isRepairable([], true)).toBe(false);
  });
});
