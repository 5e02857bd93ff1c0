import { readdirSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { keelCli, keelJson } from "../integration/keel-cli.js";
import { doctor, findingOf, useHomes } from "./helpers.js";

describe("doctor: backups", () => {
  const newHome = useHomes();

  it("finds a store with no backup, and --fix takes one, audited", () => {
    const { home, config } = newHome();
    expect(keelCli(home, ["submit", "quick", "--input", "{}", "--config", config]).code).toBe(0);
    const { report, code } = doctor(home, config, ["--only", "backups"]);
    expect(code).toBe(1);
    const f = findingOf(report, "backups");
    expect(f.summary).toBe(`the store has no backup in ${join(home, "backups")}`);
    expect(f.commands).toEqual([`keel db backup --home ${home}`]);
    expect(f.auto_fix).toMatchObject({ id: "backup.take" });

    const fixed = doctor(home, config, ["--only", "backups", "--fix"]);
    expect(fixed.code).toBe(0);
    expect(fixed.report.fixes).toEqual([expect.objectContaining({ id: "backup.take", ok: true })]);
    expect(readdirSync(join(home, "backups"))).toHaveLength(1);
    const audit = keelJson(home, ["audit", "list", "--config", config]);
    const entry = (audit.entries ?? audit).find(
      (e: { action: string }) => e.action === "doctor.fix",
    );
    expect(entry).toMatchObject({ target: join(home, "keel.db") });
  });

  it("finds a backup older than backup_max_age_hours", () => {
    const { home, config } = newHome("doctor:\n  backup_max_age_hours: 2\n");
    expect(keelCli(home, ["submit", "quick", "--input", "{}", "--config", config]).code).toBe(0);
    const backup = keelJson(home, ["db", "backup", "--config", config]).file as string;
    expect(doctor(home, config, ["--only", "backups"]).code).toBe(0);
    const threeHoursAgo = new Date(Date.now() - 3 * 3_600_000);
    utimesSync(backup, threeHoursAgo, threeHoursAgo);
    const f = findingOf(doctor(home, config, ["--only", "backups"]).report, "backups");
    expect(f.summary).toMatch(/^the newest backup is 3\.0 h old \(limit 2 h\)$/);
    expect(f.evidence.newest).toBe(backup);
  });
});
