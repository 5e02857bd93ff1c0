import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { keel } from "../../src/index.js";
import { scheduleBackups } from "../../src/ops/backup-schedule.js";
import { loadConfig } from "../../src/ops/config.js";

describe("scheduled backups (backup: in keel.yaml)", () => {
  it("takes a checked backup at each interval and keeps the newest `keep`", async () => {
    const home = mkdtempSync(join(tmpdir(), "keel-backup-"));
    const k = keel({ home, logger: pino({ level: "silent" }) });
    try {
      await k.store.listPipelines(); // opens (and creates) the store
      const backups = scheduleBackups(home, { every: 1000, keep: 2 }, pino({ level: "silent" }))!;
      try {
        const results = [];
        for (let i = 0; i < 3; i++) results.push(await backups.next());
        expect(results.map((r) => r.integrity)).toEqual(["ok", "ok", "ok"]);
        const files = readdirSync(join(home, "backups")).filter((f) => f.endsWith(".db"));
        expect(files).toHaveLength(2);
        expect(results[2]!.removed.length).toBeGreaterThan(0);
      } finally {
        backups.stop();
      }
    } finally {
      await k.stop();
      rmSync(home, { recursive: true, force: true });
    }
  }, 20_000);

  it("none without cron or every; the config refuses both at once, a bad cron, or under a second", () => {
    expect(scheduleBackups("/nowhere", { keep: 7 }, pino({ level: "silent" }))).toBeNull();
    const dir = mkdtempSync(join(tmpdir(), "keel-backup-cfg-"));
    try {
      const check = (yaml: string) => {
        const file = join(dir, "keel.yaml");
        writeFileSync(file, yaml);
        return () => loadConfig(file);
      };
      expect(check("backup:\n  cron: '0 * * * *'\n  every: 1h\n")).toThrow(/both cron and every/);
      expect(check("backup:\n  cron: 'not a cron'\n")).toThrow(/backup\.cron/);
      expect(check("backup:\n  every: 10ms\n")).toThrow(/1s or more/);
      // a longer wait overflows the node's timer, which would then fire every millisecond
      expect(check("backup:\n  every: 30d\n")).toThrow(/at most 24d/);
      expect(check("backup:\n  every: 3000000000\n")).toThrow(/backup\.every/);
      expect(check("node:\n  poll_ms: 99999999999\n")).toThrow(/node\.poll_ms/);
      expect(check("retry:\n  max_delay_ms: 1e300\n")).toThrow(/retry\.max_delay_ms/);
      expect(check("backup:\n  evry: 1h\n")).toThrow(/did you mean "every"/);
      expect(check("backup:\n  every: 1h\n  keep: 48\n")().backup).toEqual({
        every: "1h",
        keep: 48,
      });
      expect(check("security:\n  path_redaction: false\n")().security).toEqual({
        audit_logging: true,
        path_redaction: false,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
