// The disk guard as a state machine over an injected statfs: ok -> warn at 80 %, paused at 90 %,
// back down only below the threshold minus the hysteresis; cleanup at each move to a fuller state
// and on an interval; and, on a real node, no claim while paused and resumption by itself.
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { PermanentError, pipeline, step } from "../../src/index.js";
import { StoreError } from "../../src/core/errors/store-errors.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { CleanupReport, CleanupTask } from "../../src/engine/disk-cleanup.js";
import { DiskGuard, type DiskGuardState } from "../../src/engine/disk-guard.js";
import { defaultDiskThresholds, diskUsage, nextDiskState } from "../../src/engine/disk-usage.js";
import { fakeDisk, heldStep, silentLogger, sleep, until, useHarness } from "./helpers.js";

function guardOn(disk: ReturnType<typeof fakeDisk>, tasks: CleanupTask[] = [], clock = { t: 0 }) {
  const changes: DiskGuardState[] = [];
  const cleanups: CleanupReport[] = [];
  const guard = new DiskGuard({
    path: "/data",
    thresholds: defaultDiskThresholds,
    intervalMs: 1000,
    cleanupIntervalMs: 60_000,
    tasks: () => tasks,
    log: silentLogger,
    onChange: (s) => changes.push(s),
    onCleanup: (r) => cleanups.push(r),
    statfs: disk.statfs,
    now: () => clock.t,
  });
  return { guard, changes, cleanups, clock };
}

function countingTask(name: string, removed = 1): CleanupTask & { runs: string[] } {
  const runs: string[] = [];
  return {
    name,
    runs,
    run: ({ state }) => {
      runs.push(state);
      return { removed, bytes: removed * 100 };
    },
  };
}

describe("disk usage and states", () => {
  it("computes used % as df does: the root reserve is not free; inodes count when fuller", () => {
    // 100 blocks used, 400 free of which 300 usable without root: 100 / (100 + 300) = 25 %
    expect(diskUsage({ bsize: 1024, blocks: 500, bfree: 400, bavail: 300 })).toMatchObject({
      spacePercent: 25,
      usedPercent: 25,
      freeBytes: 300 * 1024,
      totalBytes: 500 * 1024,
    });
    const inodes = diskUsage({ bsize: 1, blocks: 100, bavail: 90, files: 10, ffree: 0 });
    expect(inodes).toMatchObject({ spacePercent: 10, inodesPercent: 100, usedPercent: 100 });
  });

  it("thresholds apply on the way up, hysteresis on the way down", () => {
    const t = defaultDiskThresholds;
    expect(nextDiskState(79.9, "ok", t)).toBe("ok");
    expect(nextDiskState(80, "ok", t)).toBe("warn");
    expect(nextDiskState(90, "warn", t)).toBe("paused");
    expect(nextDiskState(95, "ok", t)).toBe("paused");
    expect(nextDiskState(88.5, "paused", t)).toBe("paused");
    expect(nextDiskState(87.9, "paused", t)).toBe("warn");
    expect(nextDiskState(78.5, "warn", t)).toBe("warn");
    expect(nextDiskState(77.9, "warn", t)).toBe("ok");
    expect(nextDiskState(50, "paused", t)).toBe("ok");
  });
});

describe("DiskGuard", () => {
  afterEach(() => vi.useRealTimers());

  it("moves ok -> warn -> paused -> warn -> ok, one change event each, with the figures", async () => {
    const disk = fakeDisk(50);
    const { guard, changes } = guardOn(disk);
    for (const percent of [50, 82, 85, 91, 89, 87, 79, 70]) {
      disk.percent = percent;
      await guard.check();
    }
    expect(changes.map((c) => [c.state, c.usage?.usedPercent])).toEqual([
      ["warn", 82],
      ["paused", 91],
      ["warn", 87],
      ["ok", 70],
    ]);
    const paused = changes[1]!;
    expect(paused.reason).toMatch(/^91% used, 360\.0 KiB free: claiming paused at >= 90%/);
    expect(paused.reason).toMatch(/resumes below 88%/);
    expect(guard.paused).toBe(false);
  });

  it("cleans up at each move to a fuller state and then on its interval; a failing task does not stop the rest", async () => {
    const disk = fakeDisk(50);
    const backups = countingTask("backups", 3);
    const broken: CleanupTask = {
      name: "broken",
      run: () => {
        throw new Error("cannot list");
      },
    };
    const { guard, cleanups, clock } = guardOn(disk, [broken, backups]);
    await guard.check();
    expect(backups.runs).toEqual([]); // ok: nothing to clean
    disk.percent = 85;
    await guard.check();
    await until(() => cleanups.length === 1);
    clock.t += 1000;
    await guard.check(); // still warn, interval not over: no new round
    disk.percent = 95;
    clock.t += 1000;
    await guard.check(); // fuller: a round at once
    await until(() => cleanups.length === 2);
    clock.t += 60_000;
    await guard.check(); // still paused, interval over: another round
    await until(() => cleanups.length === 3);
    expect(backups.runs).toEqual(["warn", "paused", "paused"]);
    expect(cleanups[1]).toMatchObject({
      state: "paused",
      tasks: [
        { name: "broken", removed: 0, error: "cannot list" },
        { name: "backups", removed: 3, bytes: 300, error: null },
      ],
    });
    expect(guard.state.lastCleanup).toEqual(cleanups[2]);
    await guard.stop();
  });

  it("keeps its last state when statfs fails, and says why", async () => {
    const disk = fakeDisk(95);
    const { guard } = guardOn(disk);
    await guard.check();
    disk.fail = new Error("EIO: i/o error");
    const state = await guard.check();
    expect(state).toMatchObject({ state: "paused", error: "EIO: i/o error" });
    disk.fail = null;
    disk.percent = 10;
    expect(await guard.check()).toMatchObject({ state: "ok", error: null });
  });

  it("looks every intervalMs, every 100 ms while paused, and not after stop()", async () => {
    vi.useFakeTimers();
    const disk = fakeDisk(50);
    const { guard } = guardOn(disk);
    await guard.start();
    expect(disk.calls).toBe(1);
    await vi.advanceTimersByTimeAsync(3000);
    expect(disk.calls).toBe(4);
    disk.percent = 95;
    await vi.advanceTimersByTimeAsync(1000); // the look that pauses
    await vi.advanceTimersByTimeAsync(1000);
    expect(disk.calls).toBe(15);
    await guard.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(disk.calls).toBe(15);
  });
});

describe("a node with a disk guard", () => {
  const h = useHarness();

  it("claims nothing while paused, finishes the run in flight, and resumes by itself", async () => {
    const disk = fakeDisk(50);
    const { step: slow, started, release } = heldStep(h, "slow");
    const p = pipeline("disk-guarded", [slow]);
    const cleanup = countingTask("backups");
    const k = h.make({ pipelines: [p], disk: { statfs: disk.statfs, intervalMs: 20 } });
    k.addDiskCleanup(cleanup);
    const states: string[] = [];
    k.on("disk", (s) => states.push(s.state));
    await k.start();
    const first = await k.submit(p, {});
    await started.promise;

    disk.percent = 93;
    await until(() => k.diskState?.state === "paused");
    const waiting = await k.submitMany(p, [{}, {}, {}]);
    release.open();
    expect((await k.wait(first.id, { timeoutMs: 5000 })).status).toBe("succeeded");
    await sleep(200);
    for (const r of waiting) expect((await k.get(r.id))?.status).toBe("pending");
    expect(cleanup.runs).toEqual(["paused"]);

    disk.percent = 60;
    const finals = await Promise.all(waiting.map((r) => k.wait(r.id, { timeoutMs: 5000 })));
    expect(finals.map((r) => r.status)).toEqual(["succeeded", "succeeded", "succeeded"]);
    expect(states).toEqual(["paused", "ok"]);
  });

  // a disk that fills between runs: nothing is held, the claim fails; the guard must not wait for
  // its next look (a minute here) to pause, nor the claimer for its poll to resume
  it("looks at once when a claim fails for a full disk, and claims again soon after space returns", async () => {
    const disk = fakeDisk(50);
    const store = SqliteStore.open({ path: join(h.home, "keel.db") });
    h.onCleanup(() => void store.close());
    const full = { on: false };
    const claimRuns = store.claimRuns.bind(store);
    store.claimRuns = async (request) => {
      if (full.on) throw new StoreError("store_full", "database or disk is full", undefined, true);
      return claimRuns(request);
    };
    const p = pipeline("claimed-after-full", [step("s", () => ({ ok: true }))]);
    const k = h.make({
      pipelines: [p],
      store,
      pollMs: 60_000,
      disk: { statfs: disk.statfs, intervalMs: 60_000 },
    });
    await k.start();
    full.on = true;
    disk.percent = 100;
    const run = await k.submit(p, {});
    await until(() => k.diskState?.state === "paused", { timeoutMs: 2000 });
    full.on = false;
    disk.percent = 50;
    const freed = Date.now();
    expect((await k.wait(run.id, { timeoutMs: 2000 })).status).toBe("succeeded");
    expect(Date.now() - freed).toBeLessThan(1000);
  });

  it("purges old quarantined runs only when configured, audited as keel:disk-guard", async () => {
    const disk = fakeDisk(50);
    const bad = step("bad", () => {
      throw new PermanentError("broken input", "validation");
    });
    const p = pipeline("disk-quarantine", [bad]);
    const k = await h.start({
      pipelines: [p],
      disk: { statfs: disk.statfs, intervalMs: 20, purgeQuarantineOlderThanDays: 0 },
    });
    const run = await k.submit(p, {});
    expect((await k.wait(run.id, { timeoutMs: 5000 })).status).toBe("quarantined");
    await sleep(5); // quarantined strictly before the purge's cutoff
    disk.percent = 85;
    await until(async () => (await k.get(run.id)) === undefined, { message: "purged" });
    const audit = await k.audit();
    expect(audit.entries[0]).toMatchObject({
      actor: "keel:disk-guard",
      action: "quarantine.purge",
    });

    // without the setting the quarantine is never touched
    const otherDisk = fakeDisk(50);
    const other = await h.start({
      home: h.newHome(),
      pipelines: [p],
      disk: { statfs: otherDisk.statfs, intervalMs: 20 },
    });
    other.addDiskCleanup(countingTask("backups"));
    const kept = await other.submit(p, {});
    expect((await other.wait(kept.id, { timeoutMs: 5000 })).status).toBe("quarantined");
    otherDisk.percent = 95;
    await until(() => other.diskState?.lastCleanup, { message: "cleanup ran" });
    expect(other.diskState?.lastCleanup?.tasks.map((t) => t.name)).toEqual(["backups"]);
    expect((await other.get(kept.id))?.status).toBe("quarantined");
  });
});
