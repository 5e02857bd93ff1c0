import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { ChangeWatch } from "../../src/store/sqlite/change-watch.js";
import { tempDir } from "./sqlite-fixtures.js";

/**
 * A watched WAL file beside a store whose next commit completes (data_version moves) only after
 * the first look at its WAL write, as a commit seen in the middle of its writes does. The poll
 * alone would take 10 s: only the watch can hear that commit within a test.
 */
function commitSeenLate(recheckAtMs?: number[]) {
  const path = join(tempDir("change-watch"), "keel.db");
  writeFileSync(`${path}-wal`, "");
  let version = 1;
  let looksSinceCommit = 0;
  let committing = false;
  const heard: number[] = [];
  const dataVersion = (): number => {
    if (committing && ++looksSinceCommit > 1) version = 2;
    return version;
  };
  const watch = new ChangeWatch(
    path,
    dataVersion,
    () => heard.push(Date.now()),
    10_000,
    recheckAtMs,
  );
  watch.start();
  onTestFinished(() => watch.stop());
  return {
    heard,
    looksSinceCommit: () => looksSinceCommit,
    /** a write to the WAL that is no commit of another process */
    ownWrite: () => writeFileSync(`${path}-wal`, "a write of this process"),
    /** another process's commit; returns when it was written */
    commit: (): number => {
      committing = true;
      writeFileSync(`${path}-wal`, "another process's commit");
      return Date.now();
    },
    heardWithin: async (ms: number): Promise<void> => {
      const deadline = Date.now() + ms;
      while (heard.length === 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 5));
    },
  };
}

/** How a node hears of another process's commit on its SQLite file. */
describe("change watch", () => {
  it("looks again when a WAL write came before the commit it belongs to was complete", async () => {
    const store = commitSeenLate();
    store.commit();
    await store.heardWithin(2000);
    expect(store.heard).toHaveLength(1);
    expect(store.looksSinceCommit()).toBeGreaterThanOrEqual(2);
  });

  it("looks again soon after a new miss even while an older miss waits for a late look", async () => {
    // a miss is looked at again after 1 ms, then only after 3 s
    const store = commitSeenLate([1, 3000]);
    store.ownWrite();
    await new Promise((r) => setTimeout(r, 100));
    const committed = store.commit();
    await store.heardWithin(2500);
    expect(store.heard).toHaveLength(1);
    // heard by the new miss's own 1 ms look, not by the older one's 3 s look
    expect(store.heard[0]! - committed).toBeLessThan(2000);
  });
});
