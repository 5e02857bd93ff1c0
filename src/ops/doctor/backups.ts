import { statSync } from "node:fs";
import { backupsDir, newestBackup } from "../db-files.js";
import { age, iso, keelFix } from "./command.js";
import type { DoctorCheck } from "./types.js";

/**
 * No backup of the SQLite store, or the newest one older than `doctor.backup_max_age_hours`. A
 * backup is an online, checked copy that changes nothing in the store: `--fix` takes one. A
 * PostgreSQL store is backed up with its own tools, so the check says nothing about it.
 */
export const backupsCheck: DoctorCheck = {
  name: "backups",
  description: "no backup of the store, or the newest one too old",
  async run(ctx) {
    if (!ctx.storeFile || ctx.storeState?.kind !== "ok") return [];
    const newest = newestBackup(ctx.home);
    const maxAgeMs = ctx.settings.backupMaxAgeHours * 3_600_000;
    const takenAt = newest === null ? null : statSync(newest).mtimeMs;
    if (takenAt !== null && ctx.now - takenAt <= maxAgeMs) return [];
    const autoFix = {
      id: "backup.take",
      description: `take a backup of ${ctx.storeFile} into ${backupsDir(ctx.home)}`,
      target: ctx.storeFile,
    };
    return [
      {
        check: "backups",
        severity: "warning",
        summary:
          takenAt === null
            ? `the store has no backup in ${backupsDir(ctx.home)}`
            : `the newest backup is ${age(ctx.now - takenAt)} old (limit ${ctx.settings.backupMaxAgeHours} h)`,
        evidence: {
          backups: backupsDir(ctx.home),
          newest,
          taken_at: iso(takenAt),
          max_age_hours: ctx.settings.backupMaxAgeHours,
        },
        // a schedule (backup.every or backup.cron in keel.yaml) keeps it from coming back
        commands: [keelFix(ctx, "db backup")],
        autoFix,
      },
    ];
  },
};
