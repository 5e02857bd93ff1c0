import { mkdirSync, mkdtempSync, readdirSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { keel } from "../../src/index.js";
import { backupName } from "../../src/ops/db-files.js";
import { startNode, writeConfig, type NodeProcess } from "../integration/node-process.js";
import {
  expectStoreIntact,
  fillUntil,
  healthOf,
  mountTmpfs,
  nodeApi,
  usedPercent,
  waitFor,
} from "./helpers.js";

/**
 * The disk guard against a disk that really fills: a `keel start` node whose home is on a 16 MiB
 * tmpfs, and a filler file that takes it past 90 %. The node claims nothing new while runs in flight
 * finish, its health says so with the figures, cleanup deletes old backups and rotated logs, and
 * once the filler is deleted the node resumes by itself: every run succeeds, each checkpoint once.
 */
const fixture = fileURLToPath(new URL("./fixtures/guard-pipelines.mjs", import.meta.url));
const tmpfs = mountTmpfs("16m");
let node: NodeProcess | undefined;

afterAll(() => {
  if (node && node.child.exitCode === null && node.child.signalCode === null)
    node.child.kill("SIGKILL");
  tmpfs.remove();
});

/**
 * Without a tmpfs (no root), the nearest real thing: the temp folder's own disk, with thresholds
 * set just above its current usage so that a 48 MiB filler file crosses them. Other writers on
 * that disk can move its usage, so this variant is looser; it is not the one CI runs.
 */
function setUp(): { home: string; extra: string; target: () => boolean } {
  if (tmpfs.mounted) {
    const home = join(tmpfs.dir, "home");
    mkdirSync(home);
    return { home, extra: "", target: () => usedPercent(home) >= 94 };
  }
  console.warn(
    `disk-guard chaos test: cannot mount a tmpfs (${tmpfs.error}); using the temp folder's disk with thresholds just above its usage`,
  );
  const home = mkdtempSync(join(tmpdir(), "keel-disk-guard-"));
  const s = statfsSync(home);
  const span = ((32 << 20) / ((s.blocks - s.bfree + s.bavail) * s.bsize)) * 100;
  const now = usedPercent(home);
  const extra = `  warn_percent: ${now + span / 2}\n  pause_percent: ${now + span}\n  hysteresis_percent: ${span / 4}\n`;
  return { home, extra, target: () => usedPercent(home) >= now + span * 1.3 };
}

function seedOldFiles(home: string): void {
  mkdirSync(join(home, "backups"));
  const t0 = Date.UTC(2026, 0, 1);
  for (let i = 0; i < 5; i++)
    writeFileSync(join(home, "backups", backupName(t0 + i * 60_000)), Buffer.alloc(64 * 1024, 7));
  mkdirSync(join(home, "logs"));
  writeFileSync(join(home, "logs", "keel.log"), "");
  for (let i = 1; i <= 4; i++)
    writeFileSync(join(home, "logs", `keel.log.${i}`), Buffer.alloc(16 * 1024, 7));
}

describe("disk guard on a real filling disk", () => {
  it("stops claiming at 90 %, says so in health, cleans up, and resumes by itself when space returns", async () => {
    const { home, extra, target } = setUp();
    seedOldFiles(home);
    const config = writeConfig(
      home,
      [fixture],
      `workers:\n  concurrency: 4\nbackup:\n  keep: 2\ndisk:\n  check_interval_ms: 100\n  keep_rotated_logs: 1\n${extra}`,
    );
    node = startNode(home, config, { KEEL_LOG_LEVEL: "info" });
    await node.ready;
    const client = keel({ home, logger: pino({ level: "silent" }) });
    const filler = join(home, "filler");
    try {
      expect((await healthOf(home, "disk")).status).toBe("healthy");
      const inFlight = await client.submitMany(
        "disk-guarded",
        [0, 1, 2, 3].map((n) => ({ n, ms: 1500 })),
      );
      await waitFor(
        async () => (await client.list({ status: "running" })).runs.length === 4,
        5000,
        "the first runs are claimed",
      );

      fillUntil(filler, target);
      const waiting = await client.submitMany(
        "disk-guarded",
        Array.from({ length: 8 }, (_, i) => ({ n: 10 + i, ms: 50 })),
      );
      const paused = await waitFor(
        async () => {
          const disk = await healthOf(home, "disk");
          return disk.status === "unhealthy" ? disk : null;
        },
        3000,
        "health reports the paused disk",
      );
      expect(paused.reason).toMatch(
        /^paused: \d+(\.\d)?% used, [\d.]+ [KMGT]iB free: claiming paused/,
      );
      expect(paused.details).toMatchObject({ state: "paused" });
      // JSON keys are snake_case
      expect(paused.details?.used_percent).toBeGreaterThanOrEqual(tmpfs.mounted ? 90 : 0);
      expect(paused.details?.free_bytes).toBeGreaterThan(0);
      expect((await nodeApi(home, "/health")).status).toBe(503);
      expect((await nodeApi(home, "/v1/status")).body.disk).toMatchObject({ state: "paused" });

      // runs in flight finish; nothing new is claimed
      for (const r of inFlight)
        expect((await client.wait(r.id, { timeoutMs: 10_000 })).status).toBe("succeeded");
      await new Promise((r) => setTimeout(r, 500));
      for (const r of waiting) expect((await client.get(r.id))?.status).toBe("pending");

      // cleanup: the newest backup.keep backups and keep_rotated_logs rotated logs are left
      await waitFor(
        () => readdirSync(join(home, "backups")).length === 2,
        3000,
        "old backups deleted",
      );
      expect(readdirSync(join(home, "backups")).sort()).toEqual([
        backupName(Date.UTC(2026, 0, 1) + 180_000),
        backupName(Date.UTC(2026, 0, 1) + 240_000),
      ]);
      expect(readdirSync(join(home, "logs")).filter((f) => f.startsWith("keel.log."))).toHaveLength(
        1,
      );
      expect(readdirSync(join(home, "logs"))).toContain("keel.log");

      rmSync(filler);
      const cleared = performance.now();
      const finals = await Promise.all(
        waiting.map((r) => client.wait(r.id, { timeoutMs: 10_000 })),
      );
      const recoveryMs = Math.round(performance.now() - cleared);
      expect(finals.map((r) => r.status)).toEqual(waiting.map(() => "succeeded"));
      expect(recoveryMs).toBeLessThan(5000);
      console.info(
        `disk guard: 8 held-back runs done ${recoveryMs} ms after the filler was deleted`,
      );
      await waitFor(
        async () => (await healthOf(home, "disk")).status === "healthy",
        3000,
        "health back to healthy",
      );
    } finally {
      rmSync(filler, { force: true });
      await client.stop();
      node.child.kill("SIGTERM");
      await node.exited;
    }
    expect(node.output()).toMatch(/disk guard: .*claiming paused/);
    expect(node.output()).toMatch(/disk cleanup: removed 6 item/);
    expectStoreIntact(home, 12, 2);
    if (!tmpfs.mounted) rmSync(home, { recursive: true, force: true });
  }, 60_000);
});
