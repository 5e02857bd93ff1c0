// What health says from a node's own figures (its API answering): the disk guard's state, the
// worker limit's CPU pressure and worker process deaths, the sources' clock, the nodes it declared
// dead; and, without a node, the disk against keel.yaml's thresholds.
import { describe, expect, it } from "vitest";
import type { DiskGuardState } from "../../src/engine/disk-guard.js";
import { diskUsage } from "../../src/engine/disk-usage.js";
import type { WorkerLimitState } from "../../src/engine/worker-limit.js";
import { loadConfig } from "../../src/ops/config.js";
import { workerSettings } from "../../src/ops/guard-settings.js";
import { checkDiskHealth, diskGuardHealth } from "../../src/ops/health/disk.js";
import type { DeadNode } from "../../src/engine/liveness.js";
import { withDeadNodes } from "../../src/ops/health/node.js";
import { schedulerHealth, tickLateMs } from "../../src/ops/health/scheduler.js";
import { recentDeathMs, workersHealth } from "../../src/ops/health/workers.js";
import type { SourceRecord } from "../../src/store/sources.js";
import type { ComponentHealth } from "../../src/ops/health/types.js";

describe("disk health", () => {
  const stats = (percent: number) => () => ({
    bsize: 4096,
    blocks: 1000,
    bavail: Math.round(1000 * (1 - percent / 100)),
  });

  it("without a node: the configured thresholds decide", () => {
    const t = { warnPercent: 50, pausePercent: 60, hysteresisPercent: 2 };
    expect(checkDiskHealth("/d", stats(49), t).status).toBe("healthy");
    expect(checkDiskHealth("/d", stats(55), t)).toMatchObject({
      status: "degraded",
      reason: "55% used, 1.8 MiB free: above the warning level of 50%",
    });
    expect(checkDiskHealth("/d", stats(61), t)).toMatchObject({
      status: "unhealthy",
      details: { usedPercent: 61, freeBytes: 390 * 4096, pausePercent: 60 },
    });
  });

  it("with a node: its guard's state, warn -> degraded, paused -> unhealthy, with the figures", () => {
    const usage = diskUsage({ bsize: 4096, blocks: 1000, bavail: 70 });
    const guard: DiskGuardState = {
      state: "paused",
      path: "/data",
      usage,
      thresholds: { warnPercent: 80, pausePercent: 90, hysteresisPercent: 2 },
      since: 1,
      checkedAt: 2,
      reason: "93% used, 280.0 KiB free: claiming paused at >= 90% (resumes below 88%)",
      error: null,
      lastCleanup: null,
    };
    expect(diskGuardHealth(guard)).toMatchObject({
      status: "unhealthy",
      reason: "paused: 93% used, 280.0 KiB free: claiming paused at >= 90% (resumes below 88%)",
      details: { state: "paused", usedPercent: 93, freeBytes: 280 * 1024 },
    });
    expect(diskGuardHealth({ ...guard, state: "warn" }).status).toBe("degraded");
    // hysteresis: still paused at 89 % is still unhealthy, whatever the raw figure says
    const at89 = { ...guard, usage: diskUsage({ bsize: 4096, blocks: 1000, bavail: 110 }) };
    expect(diskGuardHealth(at89).status).toBe("unhealthy");
    expect(diskGuardHealth({ ...guard, state: "ok" }).status).toBe("healthy");
  });
});

describe("workers health", () => {
  const NOW = 1_800_000_000_000;
  const workers: WorkerLimitState = {
    adaptive: true,
    limit: 1,
    min: 1,
    max: 4,
    pressure: {
      active: true,
      reason: "step latency x3.1 of its baseline (>= x2)",
      signals: { eventLoopDelayMs: 20, latencyGrowth: 3.1, throttledRatio: null },
    },
    lastChange: { at: 1, from: 2, to: 1, reason: "CPU pressure: step latency x3.1" },
    deferBelowPriority: 0,
    deferring: true,
    cgroupStat: null,
  };
  const calm = { ...workers, pressure: { ...workers.pressure, active: false }, deferring: false };

  it("under CPU pressure: degraded, saying how many runs it allows and why", () => {
    expect(workersHealth({ workers, busy: 1 }, 42, NOW)).toMatchObject({
      component: "workers",
      status: "degraded",
      reason:
        "CPU pressure: 1 of at most 4 runs in flight (step latency x3.1 of its baseline (>= x2)); runs below priority 0 wait",
      details: { limit: 1, max: 4, busy: 1, pressure: true, deferring: true },
    });
    expect(workersHealth({ workers: calm, busy: 0 }, 42, NOW)).toMatchObject({
      status: "healthy",
      reason: "0 busy, up to 1 runs at once (adaptive, 1-4)",
    });
    expect(workersHealth({ workers: calm, busy: 1, claimedAhead: 3 }, 42, NOW)).toMatchObject({
      status: "healthy",
      reason: "1 busy, 3 claimed ahead, up to 1 runs at once (adaptive, 1-4)",
      details: { busy: 1, claimedAhead: 3 },
    });
  });

  it("a busy node at its full limit is not degraded: pressure that held nothing back is a note", () => {
    const full = { ...workers, limit: 2, max: 2, deferBelowPriority: null, deferring: false };
    expect(workersHealth({ workers: full, busy: 2 }, 42, NOW)).toMatchObject({
      status: "healthy",
      reason:
        "2 busy, up to 2 runs at once (adaptive, 1-2); CPU pressure seen (step latency x3.1 of its baseline (>= x2)), the limit still at its maximum",
    });
    // runs held back by priority are work waiting: degraded, even at the full limit
    const deferring = { ...full, deferBelowPriority: 0, deferring: true };
    expect(workersHealth({ workers: deferring, busy: 2 }, 42, NOW).status).toBe("degraded");
  });

  it("a worker process death is shown for a minute, however it died", () => {
    const death = {
      pid: 777,
      exitCode: null,
      signal: "SIGKILL",
      killedByKeel: false,
      task: { runId: "run_1", step: "parse" },
      at: NOW - 3000,
    };
    const shown = workersHealth({ workers: calm, workerDeaths: [death] }, 42, NOW);
    expect(shown).toMatchObject({
      status: "degraded",
      reason:
        "worker process 777 died of SIGKILL during step parse of run run_1 3 s ago and was replaced",
      details: { recentDeaths: [{ pid: 777, signal: "SIGKILL", runId: "run_1", step: "parse" }] },
    });
    const byKeel = { ...death, signal: "SIGKILL", killedByKeel: true, at: NOW - 1000 };
    expect(workersHealth({ workers: calm, workerDeaths: [death, byKeel] }, 42, NOW).reason).toBe(
      "worker process 777 was killed by keel (its step outlived the abort grace) during step parse of run run_1 1 s ago and was replaced (2 deaths in the last 60 s)",
    );
    const exited = { ...death, signal: null, exitCode: 3, task: null };
    expect(workersHealth({ workers: calm, workerDeaths: [exited] }, 42, NOW).reason).toBe(
      "worker process 777 exited with code 3 3 s ago and was replaced",
    );
    const old = { ...death, at: NOW - recentDeathMs - 1 };
    expect(workersHealth({ workers: calm, workerDeaths: [old] }, 42, NOW).status).toBe("healthy");
  });

  it("without the node's figures: unhealthy when no node runs, else only that it runs", () => {
    expect(workersHealth(undefined, null, NOW)).toMatchObject({
      status: "unhealthy",
      reason: expect.stringMatching(/no keel node is running/),
    });
    expect(workersHealth(undefined, 42, NOW)).toMatchObject({
      status: "healthy",
      reason: expect.stringMatching(/^node pid 42 runs/),
    });
  });

  it("config: workers.* keys map to the node's options; concurrency stays optional", () => {
    expect(workerSettings(loadConfig(undefined, {}))).toEqual({
      concurrency: undefined,
      minWorkers: 1,
      maxWorkers: undefined,
      deferBelowPriority: undefined,
      claimAhead: undefined,
      claimAheadWaitMs: 50,
    });
    const set = loadConfig(undefined, {
      KEEL_WORKERS_MAX_WORKERS: "6",
      KEEL_WORKERS_DEFER_BELOW_PRIORITY: "-1",
      KEEL_WORKERS_CLAIM_AHEAD: "0",
      KEEL_WORKERS_CLAIM_AHEAD_WAIT_MS: "20",
    });
    expect(workerSettings(set)).toMatchObject({
      maxWorkers: 6,
      deferBelowPriority: -1,
      claimAhead: 0,
      claimAheadWaitMs: 20,
    });
    expect(() => loadConfig(undefined, { KEEL_WORKERS_CLAIM_AHEAD: "-3" })).toThrow(
      /workers\.claim_ahead/,
    );
    expect(() =>
      loadConfig(undefined, { KEEL_WORKERS_MIN_WORKERS: "5", KEEL_WORKERS_MAX_WORKERS: "2" }),
    ).toThrow(/workers\.min_workers: min_workers \(5\) must not be above max_workers \(2\)/);
  });
});

describe("node health with the nodes it declared dead", () => {
  const healthy: ComponentHealth = {
    component: "node",
    status: "healthy",
    reason: "node n1 (pid 42) heartbeated 0.2 s ago",
    details: { pid: 42 },
  };
  const dead: DeadNode = {
    nodeId: "n2",
    host: "h1",
    pid: 77,
    cause: "process_gone",
    declaredAt: 10_000,
    lastHeartbeatAt: 9_400,
    runsReturned: 8,
  };

  it("is degraded for a minute after a node death, saying who died, why, when and what it returned", () => {
    expect(withDeadNodes(healthy, [dead], 12_500)).toEqual({
      ...healthy,
      status: "degraded",
      reason: "node n2 (pid 77, process gone) declared dead 2.5 s ago, 8 runs returned to pending",
      details: { pid: 42, deadNodes: [dead] },
    });
    const later = withDeadNodes(healthy, [dead], 10_000 + recentDeathMs + 1);
    expect(later).toEqual({ ...healthy, details: { pid: 42, deadNodes: [dead] } });
    // already worse for its own reason: that stays first
    const stale = { ...healthy, status: "degraded" as const, reason: "heartbeat is old" };
    expect(withDeadNodes(stale, [dead], 12_500).reason).toBe(
      "heartbeat is old; node n2 (pid 77, process gone) declared dead 2.5 s ago, 8 runs returned to pending",
    );
  });

  it("lists none when none died, and leaves health alone without a node answering", () => {
    expect(withDeadNodes(healthy, [], 0)).toEqual({
      ...healthy,
      details: { pid: 42, deadNodes: [] },
    });
    expect(withDeadNodes(healthy, undefined, 0)).toBe(healthy);
    const silent = { ...dead, cause: "silent" as const, runsReturned: 1 };
    expect(withDeadNodes(healthy, [silent], 10_000).reason).toBe(
      "node n2 (pid 77, no heartbeat) declared dead 0.0 s ago, 1 run returned to pending",
    );
  });
});

describe("scheduler health", () => {
  const NOW = 1_800_000_000_000;
  const source = (overrides: Partial<SourceRecord>): SourceRecord => ({
    name: "nightly",
    kind: "cron",
    pipeline: "p",
    schedule: "0 2 * * *",
    input: null,
    timezone: null,
    paused: false,
    pauseReason: null,
    pausedBy: null,
    pausedAt: null,
    lastTickAt: null,
    nextTickAt: NOW + 60_000,
    updatedAt: NOW,
    ...overrides,
  });

  it("on time, paused and manual sources are healthy; a late tick or a failing source is not", () => {
    expect(schedulerHealth([], [], NOW)).toMatchObject({ status: "healthy", reason: "no sources" });
    const fine = [
      source({}),
      source({ name: "held", paused: true, nextTickAt: NOW - 10 * tickLateMs }),
      source({ name: "button", kind: "manual", schedule: null, nextTickAt: null }),
    ];
    expect(schedulerHealth(fine, [], NOW)).toMatchObject({
      status: "healthy",
      reason: "3 sources on time, 1 paused",
      details: { paused: ["held"], late: [] },
    });
    const late = source({ name: "hourly", nextTickAt: NOW - tickLateMs - 5000 });
    expect(schedulerHealth([...fine, late], [], NOW)).toMatchObject({
      status: "degraded",
      reason: `source hourly's tick due ${new Date(NOW - tickLateMs - 5000).toISOString()} is 35 s late (is a node running?)`,
      details: { late: [{ name: "hourly", lateMs: tickLateMs + 5000 }] },
    });
    const failing = { source: "inbox", error: "ENOENT: no such file or directory", at: NOW - 1 };
    expect(schedulerHealth(fine, [failing], NOW)).toMatchObject({
      status: "degraded",
      reason: "source inbox fails: ENOENT: no such file or directory",
    });
  });
});
