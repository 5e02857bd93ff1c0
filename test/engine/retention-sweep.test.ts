import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RetentionSweep, resolveRetentionSettings } from "../../src/engine/retention-sweep.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { NOW, newRun } from "../../src/store/store-case/helpers.case.test.js";
import { silentLogger } from "./helpers.js";

const DAY = 86_400_000;

describe("retention sweep", () => {
  let dir = "";
  let store: SqliteStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "keel-retention-"));
    store = SqliteStore.open({ path: join(dir, "keel.db") });
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** `n` runs cancelled `daysAgo` days before `now` */
  async function cancelled(n: number, at: number): Promise<string[]> {
    const runs = Array.from({ length: n }, () => newRun());
    await store.submitRuns(runs);
    for (const run of runs) await store.cancelRun(run.id, { reason: "t", actor: "t", at });
    return runs.map((r) => r.id);
  }

  it("deletes old ended runs batch by batch, audits the sweep once, and keeps recent runs", async () => {
    const now = NOW + 100 * DAY;
    const old = await cancelled(5, NOW + DAY);
    const recent = await cancelled(1, now - DAY);
    const settings = resolveRetentionSettings({
      succeededDays: 30,
      cancelledDays: 30,
      batchSize: 2,
      pauseMs: 0,
    });
    const sweep = new RetentionSweep(store, settings!, silentLogger, () => now);
    expect(await sweep.sweep()).toBe(5);
    for (const id of old) expect(await store.getRun(id)).toBeUndefined();
    expect(await store.getRun(recent[0]!)).toBeDefined();
    expect(sweep.state).toMatchObject({ lastSweepAt: now, lastSweepDeleted: 5, deletedTotal: 5 });
    // nothing left to delete: no second audit entry
    expect(await sweep.sweep()).toBe(0);
    expect(sweep.state).toMatchObject({ lastSweepDeleted: 0, deletedTotal: 5, lastError: null });
    const audit = (await store.listAudit({ limit: 10 })).entries;
    expect(audit).toMatchObject([
      {
        action: "runs.retention",
        actor: "keel:retention",
        details: { count: 5, succeeded: 0, cancelled: 5, cancelledDays: 30 },
      },
    ]);
  });

  it("keeps ended runs of a status whose days are 0", async () => {
    const now = NOW + 1000 * DAY;
    const old = await cancelled(2, NOW + DAY);
    const settings = resolveRetentionSettings({ succeededDays: 30, cancelledDays: 0 });
    const sweep = new RetentionSweep(store, settings!, silentLogger, () => now);
    expect(await sweep.sweep()).toBe(0);
    for (const id of old) expect(await store.getRun(id)).toBeDefined();
  });

  it("refuses settings that make no sense", () => {
    expect(() => resolveRetentionSettings({ succeededDays: -1, cancelledDays: 1 })).toThrow(
      /succeededDays/,
    );
    expect(() =>
      resolveRetentionSettings({ succeededDays: 1, cancelledDays: 1, batchSize: 0 }),
    ).toThrow(/batchSize/);
    expect(resolveRetentionSettings(false)).toBeNull();
  });
});
