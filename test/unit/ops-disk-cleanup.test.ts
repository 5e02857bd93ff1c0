import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/ops/config.js";
import { backupName } from "../../src/ops/db-files.js";
import { diskCleanupTasks } from "../../src/ops/disk-cleanup.js";
import { diskGuardSettings } from "../../src/ops/guard-settings.js";

const homes: string[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
});

function home(): string {
  const h = mkdtempSync(join(tmpdir(), "keel-cleanup-"));
  homes.push(h);
  return h;
}

const context = { state: "paused", now: Date.now() } as const;

describe("the disk guard's ops cleanup tasks", () => {
  it("backups: keeps the newest backup.keep of keel's backups, leaves other files alone", async () => {
    const h = home();
    mkdirSync(join(h, "backups"));
    const t0 = Date.UTC(2026, 0, 1);
    for (let i = 0; i < 5; i++)
      writeFileSync(join(h, "backups", backupName(t0 + i * 1000)), "x".repeat(100));
    writeFileSync(join(h, "backups", "mine.db"), "not keel's");
    const config = loadConfig(undefined, { KEEL_BACKUP_KEEP: "2" });
    const [backups] = diskCleanupTasks(h, config);
    expect(backups?.name).toBe("backups");
    expect(await backups!.run(context)).toEqual({ removed: 3, bytes: 300 });
    expect(readdirSync(join(h, "backups")).sort()).toEqual(
      [backupName(t0 + 3000), backupName(t0 + 4000), "mine.db"].sort(),
    );
    expect(await backups!.run(context)).toEqual({ removed: 0, bytes: 0 });
  });

  it("logs: keeps the newest disk.keep_rotated_logs rotated copies, never keel.log itself", async () => {
    const h = home();
    const logs = join(h, "logs");
    mkdirSync(logs);
    writeFileSync(join(logs, "keel.log"), "live");
    writeFileSync(join(logs, "other.log"), "not ours");
    const names = ["keel.log.1", "keel.log.2.gz", "keel.log.3.gz", "keel.log-20260101"];
    names.forEach((n, i) => {
      writeFileSync(join(logs, n), "x".repeat(10));
      const t = new Date(Date.UTC(2026, 0, 10 - i));
      utimesSync(join(logs, n), t, t);
    });
    const config = loadConfig(undefined, { KEEL_DISK_KEEP_ROTATED_LOGS: "1" });
    const logsTask = diskCleanupTasks(h, config)[1]!;
    expect(await logsTask.run(context)).toEqual({ removed: 3, bytes: 30 });
    expect(readdirSync(logs).sort()).toEqual(["keel.log", "keel.log.1", "other.log"]);
    // no logs folder: nothing to do
    expect(await diskCleanupTasks(home(), config)[1]!.run(context)).toEqual({
      removed: 0,
      bytes: 0,
    });
    expect(existsSync(join(logs, "keel.log"))).toBe(true);
  });

  it("config: disk.* keys map to the guard's settings; enabled: false turns it off", () => {
    const config = loadConfig(undefined, {
      KEEL_DISK_WARN_PERCENT: "70",
      KEEL_DISK_PURGE_QUARANTINE_OLDER_THAN_DAYS: "30",
    });
    expect(diskGuardSettings(config)).toEqual({
      warnPercent: 70,
      pausePercent: 90,
      hysteresisPercent: 2,
      intervalMs: 1000,
      cleanupIntervalMs: 300_000,
      purgeQuarantineOlderThanDays: 30,
    });
    expect(diskGuardSettings(loadConfig(undefined, { KEEL_DISK_ENABLED: "false" }))).toBe(false);
    expect(() => loadConfig(undefined, { KEEL_DISK_WARN_PERCENT: "95" })).toThrow(
      /disk\.warn_percent: warn_percent \(95\) must not be above pause_percent \(90\)/,
    );
  });
});
