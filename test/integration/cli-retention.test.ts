import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { NOW, newRun } from "../../src/store/store-case/helpers.case.test.js";
import { keelCli, keelJson } from "./keel-cli.js";

const DAY = 86_400_000;

/** `old` runs cancelled long ago and one cancelled just now, written straight to the store file */
async function fillStore(home: string, old: number): Promise<string> {
  const store = SqliteStore.open({ path: join(home, "keel.db") });
  try {
    const runs = Array.from({ length: old + 1 }, () => newRun());
    await store.submitRuns(runs);
    for (const run of runs.slice(0, old))
      await store.cancelRun(run.id, { reason: "old", actor: "test", at: NOW + DAY });
    const recent = runs[old]!;
    await store.cancelRun(recent.id, { reason: "recent", actor: "test", at: Date.now() });
    return recent.id;
  } finally {
    await store.close();
  }
}

async function until<T>(what: string, fn: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

describe("retention through the CLI", () => {
  it("the node deletes old ended runs and says so in status; db vacuum waits for it to stop", async () => {
    const home = mkdtempSync(join(tmpdir(), "keel-cli-retention-"));
    const recent = await fillStore(home, 25);
    const env = {
      KEEL_WORKERS_CONCURRENCY: "2",
      KEEL_RETENTION_INTERVAL_MS: "1000",
      KEEL_RETENTION_BATCH_SIZE: "10",
      KEEL_RETENTION_CANCELLED_DAYS: "7",
    };
    const started = keelCli(home, ["start", "--format", "json"], env);
    expect(started.code, started.stderr).toBe(0);
    try {
      const retention = await until("the first sweep", () => {
        const r = keelJson(home, ["status"]).retention;
        return r?.deleted_total === 25 ? r : undefined;
      });
      expect(retention).toMatchObject({
        succeeded_days: 30,
        cancelled_days: 7,
        last_error: null,
      });
      expect(retention.last_sweep_at).toEqual(expect.any(String));
      const report = keelJson(home, ["status"]);
      expect(report.runs.cancelled).toBe(1);
      // the run cancelled just now is kept
      expect(keelCli(home, ["jobs", "show", recent]).code).toBe(0);
      expect(keelCli(home, ["status"]).stdout).toMatch(
        /retention: succeeded 30 days, cancelled 7 days; last sweep \S+, 25 runs deleted by this node/,
      );
      const audit = keelJson(home, ["audit", "list", "--action", "runs.retention"]);
      const entries = audit.entries ?? audit;
      const counted = entries.reduce(
        (sum: number, e: { details: { count: number } }) => sum + e.details.count,
        0,
      );
      expect(counted).toBe(25);

      const refused = keelCli(home, ["db", "vacuum"]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/node_running.*keel stop/);
    } finally {
      const stopped = keelCli(home, ["stop"]);
      expect(stopped.code, stopped.stderr).toBe(0);
    }
    const vacuum = keelJson(home, ["db", "vacuum"]);
    expect(vacuum).toMatchObject({ backend: "sqlite" });
    expect(vacuum.tables).toEqual(expect.arrayContaining(["runs", "transitions", "step_results"]));
    expect(vacuum.bytes_after).toBeGreaterThan(0);
    expect(vacuum.bytes_after).toBeLessThanOrEqual(vacuum.bytes_before);
    // the store is whole after the vacuum
    expect(keelCli(home, ["db", "check"]).code).toBe(0);
  }, 120_000);
});
