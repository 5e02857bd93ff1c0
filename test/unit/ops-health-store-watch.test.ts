// What health says of the store from the node's store watch (its API answering): its last check,
// the repair it made, or the damage it found with the commands that recover.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { StoreWatchState } from "../../src/engine/store-watch.js";
import { backupName } from "../../src/ops/db-files.js";
import { withStoreWatch } from "../../src/ops/health/store.js";
import type { ComponentHealth } from "../../src/ops/health/types.js";
import { StorageDamage } from "../../src/store/storage.js";

const answered: ComponentHealth = {
  component: "store",
  status: "healthy",
  reason: "answers in 1 ms; 12 runs",
  details: { file: "/h/keel.db" },
};

const watch: StoreWatchState = {
  state: "ok",
  since: 0,
  reason: "whole at the last quick check",
  findings: [],
  checkedAt: 5,
  checkLevel: "quick",
  checkMs: 3,
  intervalMs: 300_000,
  lastRepair: null,
};

const rows = {
  damage: StorageDamage.table,
  object: "runs",
  message: "Tree 3 page 12: btreeInitPage() returns error code 11",
};

describe("store health with the node's store watch", () => {
  let home = "";
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it("ok: the live look's verdict, with the last check, and the last repair in the reason", () => {
    home = mkdtempSync(join(tmpdir(), "keel-health-"));
    expect(withStoreWatch(answered, watch, home)).toMatchObject({
      status: "healthy",
      reason: "answers in 1 ms; 12 runs",
      details: { file: "/h/keel.db", state: "ok", checkedAt: 5, checkLevel: "quick" },
    });
    const repaired = {
      ...watch,
      lastRepair: {
        at: Date.UTC(2026, 0, 1),
        findings: [],
        actions: ["reindexed runs_status"],
        ms: 4,
      },
    };
    expect(withStoreWatch(answered, repaired, home).reason).toBe(
      "answers in 1 ms; 12 runs; repaired itself at 2026-01-01T00:00:00.000Z (reindexed runs_status)",
    );
  });

  it("checking or repairing: unhealthy, claiming paused", () => {
    home = mkdtempSync(join(tmpdir(), "keel-health-"));
    const repairing = {
      ...watch,
      state: "repairing" as const,
      findings: [{ ...rows, damage: StorageDamage.index, object: "runs_status" }],
    };
    expect(withStoreWatch(answered, repairing, home)).toMatchObject({
      status: "unhealthy",
      reason:
        "damaged indexes (index runs_status) are being rebuilt from their tables: claiming paused and writes held until the store is whole",
    });
  });

  it("damaged: unhealthy, naming the commands that recover, the newest backup among them", () => {
    home = mkdtempSync(join(tmpdir(), "keel-health-"));
    mkdirSync(join(home, "backups"));
    for (const t of [Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 2)])
      writeFileSync(join(home, "backups", backupName(t)), "");
    const newest = join(home, "backups", backupName(Date.UTC(2026, 0, 2)));
    const health = withStoreWatch(answered, { ...watch, state: "damaged", findings: [rows] }, home);
    expect(health.status).toBe("unhealthy");
    expect(health.details.advice).toEqual([
      `keel stop --home ${home}`,
      `keel db restore ${newest} --yes --home ${home}`,
      `keel db rebuild-state --apply --home ${home}`,
      `keel start --home ${home}`,
    ]);
    expect(health.reason).toContain("damaged (table runs)");
    expect(health.reason).toContain(`\`keel db restore ${newest} --yes --home ${home}\``);
  });
});
