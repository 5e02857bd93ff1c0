import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { ChangeWatch } from "../../src/store/sqlite/change-watch.js";
import { tempDir } from "./sqlite-fixtures.js";

/** How a node hears of another process's commit on its SQLite file. */
describe("change watch", () => {
  it("looks again when a WAL write came before the commit it belongs to was complete", async () => {
    const dir = tempDir("change-watch");
    const path = join(dir, "keel.db");
    writeFileSync(`${path}-wal`, "");
    // the commit completes (data_version moves) only after the first look at its WAL write
    let version = 1;
    let looks = 0;
    let committing = false;
    const dataVersion = (): number => {
      if (committing && ++looks > 1) version = 2;
      return version;
    };
    const heard: number[] = [];
    const started = Date.now();
    // the poll alone would take 10 s: only the watch can hear this commit within the test
    const watch = new ChangeWatch(
      path,
      dataVersion,
      () => heard.push(Date.now() - started),
      10_000,
    );
    watch.start();
    onTestFinished(() => watch.stop());
    committing = true;
    writeFileSync(`${path}-wal`, "frames");
    const deadline = Date.now() + 2000;
    while (heard.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(heard).toHaveLength(1);
    expect(looks).toBeGreaterThanOrEqual(2);
  });

  it("looks again soon after a new miss even while an older miss waits for a late look", async () => {
    const dir = tempDir("change-watch");
    const path = join(dir, "keel.db");
    writeFileSync(`${path}-wal`, "");
    let version = 1;
    let looksSinceCommit = 0;
    let committing = false;
    const dataVersion = (): number => {
      if (committing && ++looksSinceCommit > 1) version = 2;
      return version;
    };
    const heard: number[] = [];
    // the older miss looks again after 1 ms, then only after 3 s
    const watch = new ChangeWatch(
      path,
      dataVersion,
      () => heard.push(Date.now()),
      10_000,
      [1, 3000],
    );
    watch.start();
    onTestFinished(() => watch.stop());
    writeFileSync(`${path}-wal`, "a write of this process");
    await new Promise((r) => setTimeout(r, 100));
    const committed = Date.now();
    committing = true;
    writeFileSync(`${path}-wal`, "another process's commit, complete after the first look");
    const deadline = Date.now() + 2500;
    while (heard.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(heard).toHaveLength(1);
    // heard by the new miss's own 1 ms look, not by the older one's 3 s look
    expect(heard[0]! - committed).toBeLessThan(2000);
  });
});
