// The health document with every figure a running node adds (workers, disk guard, dead nodes,
// the store watch, late and failing sources): keel's fields in snake_case, and the schema the
// health routes declare accepts it. The route test (test/api/wire-schemas.test.ts) sees only
// what a home without a running node shows.
import { describe, expect, it } from "vitest";
import { healthJson, healthSchema } from "../../src/api/wire/health.js";
import type { HealthReport } from "../../src/ops/health/index.js";
import { breakerHealth } from "../../src/ops/health/breakers.js";
import { diskGuardHealth } from "../../src/ops/health/disk.js";
import { checkNodeHealth, withDeadNodes } from "../../src/ops/health/node.js";
import { queueHealth } from "../../src/ops/health/queue.js";
import { schedulerHealth } from "../../src/ops/health/scheduler.js";
import { withStoreWatch } from "../../src/ops/health/store.js";
import { workersHealth } from "../../src/ops/health/workers.js";

const now = 1_700_000_000_000;
const pressure = {
  active: true,
  reason: "event-loop delay",
  signals: { eventLoopDelayMs: 120, latencyGrowth: null, throttledRatio: 0.2 },
};
const workers = {
  adaptive: true,
  limit: 3,
  min: 1,
  max: 8,
  pressure,
  lastChange: { at: now - 5, from: 8, to: 3, reason: "pressure" },
  deferBelowPriority: 5,
  deferring: true,
  cgroupStat: null,
};
const guard = {
  state: "warn" as const,
  path: "/data",
  usage: { totalBytes: 100, freeBytes: 15, spacePercent: 85, inodesPercent: 3, usedPercent: 85 },
  thresholds: { warnPercent: 80, pausePercent: 90 },
  since: now - 100,
  checkedAt: now - 1,
  reason: "85% used",
  error: null,
  lastCleanup: {
    at: now - 50,
    state: "warn" as const,
    ms: 12,
    tasks: [{ name: "backups", removed: 2, bytes: 300, error: null }],
  },
};
const watch = {
  state: "damaged" as const,
  since: now - 10,
  reason: "damage found",
  findings: [{ damage: "index" as const, object: "runs_by_status", message: "wrong # of entries" }],
  checkedAt: now - 3,
  checkLevel: "quick" as const,
  checkMs: 4,
  intervalMs: 60_000,
  lastRepair: null,
};
const node = {
  id: "n1",
  host: "h",
  pid: 5,
  state: "active",
  heartbeatAt: now - 10,
  startedAt: now - 99,
};
const dead = {
  nodeId: "n2",
  host: "h2",
  pid: 9,
  cause: "silent" as const,
  declaredAt: now - 1000,
  lastHeartbeatAt: now - 9000,
  runsReturned: 2,
};

const report: HealthReport = {
  status: "unhealthy",
  home: "/h",
  checkedAt: now,
  components: [
    withStoreWatch(
      {
        component: "store",
        status: "healthy",
        reason: "ok",
        details: { file: "/h/keel.db", bytes: 1, runs: 3, ms: 1 },
      },
      watch as never,
      "/h",
    ),
    withDeadNodes(checkNodeHealth({ pid: 5, nodes: [node as never], host: "h", now }), [dead], now),
    queueHealth(now - 70_000, now),
    diskGuardHealth(guard as never),
    breakerHealth([
      {
        name: "ext",
        state: "half_open",
        manual: false,
        reason: "timeouts",
        openedAt: now,
        halfOpenRequests: 3,
        trialSuccesses: 1,
      } as never,
    ]),
    workersHealth(
      {
        workers: workers as never,
        busy: 2,
        claimedAhead: 1,
        workerDeaths: [
          {
            pid: 7,
            at: now - 5,
            signal: "SIGKILL",
            exitCode: null,
            killedByKeel: false,
            task: { runId: "r1", step: "s" },
          } as never,
        ],
      },
      5,
      now,
    ),
    schedulerHealth(
      [{ name: "hourly", kind: "cron", paused: false, nextTickAt: now - 60_000 } as never],
      [{ source: "inbox", error: "ENOENT", at: now - 3 }],
      now,
    ),
  ],
};

describe("the health document", () => {
  const json = healthJson(report, true);

  it("matches the schema the health routes declare", () => {
    const result = healthSchema.safeParse(json);
    expect(result.success ? "" : JSON.stringify(result.error.issues)).toBe("");
  });

  it("writes keel's figures in snake_case, as docs/cli.md lists them", () => {
    const details = Object.fromEntries(json.components.map((c) => [c.component, c.details]));
    expect(details.node).toMatchObject({
      node_id: "n1",
      heartbeat_age_ms: 10,
      dead_nodes: [{ node_id: "n2", declared_at: now - 1000, runs_returned: 2 }],
    });
    expect(details.store).toMatchObject({
      check_level: "quick",
      interval_ms: 60_000,
      last_repair: null,
    });
    expect(details.disk).toMatchObject({
      used_percent: 85,
      last_cleanup: { tasks: [{ name: "backups" }] },
    });
    expect(details.workers).toMatchObject({
      claimed_ahead: 1,
      pressure_reason: "event-loop delay",
      recent_deaths: [{ exit_code: null, killed_by_keel: false, run_id: "r1" }],
    });
    expect(details.scheduler).toMatchObject({
      late: [{ next_tick_at: now - 60_000, late_ms: 60_000 }],
    });
    expect(details.breakers).toMatchObject({
      open: [{ name: "ext", opened_at: now, answered: true }],
    });
  });
});
