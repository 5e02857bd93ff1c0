import { Cron } from "croner";
import { parseDurationMs } from "../core/duration.js";
import type { Logger } from "../engine/logger.js";
import { backupStore, type BackupResult } from "./db-backup.js";

/**
 * Scheduled backups of a node's store (`backup:` in keel.yaml): on a cron schedule or at an
 * interval, each an online, checked copy in $KEEL_HOME/backups, keeping the newest `keep`. A
 * failed backup is logged and the next one is tried on schedule; it never stops the node.
 */
export interface BackupSchedule {
  cron?: string;
  every?: string | number;
  keep: number;
  timezone?: string;
}

export interface RunningBackups {
  stop(): void;
  /** resolves with the next finished backup (for tests and `status`) */
  next(): Promise<BackupResult>;
}

export function scheduleBackups(
  home: string,
  schedule: BackupSchedule,
  log: Logger,
): RunningBackups | null {
  if (schedule.cron === undefined && schedule.every === undefined) return null;
  let waiters: ((result: BackupResult) => void)[] = [];
  let running = false;
  const take = async (): Promise<void> => {
    // a backup still running when the next is due: skip this one rather than queue them up
    if (running) return;
    running = true;
    try {
      const result = await backupStore({ home, keep: schedule.keep });
      log.info(
        { file: result.file, bytes: result.bytes, ms: result.ms, removed: result.removed.length },
        "scheduled backup done",
      );
      const done = waiters;
      waiters = [];
      for (const resolve of done) resolve(result);
    } catch (error) {
      log.error({ err: error }, "scheduled backup failed; the next one runs on schedule");
    } finally {
      running = false;
    }
  };
  let stop: () => void;
  if (schedule.cron !== undefined) {
    const job = new Cron(schedule.cron, { timezone: schedule.timezone, protect: true }, () => {
      void take();
    });
    stop = () => job.stop();
  } else {
    const ms =
      typeof schedule.every === "number" ? schedule.every : parseDurationMs(schedule.every!);
    const timer = setInterval(() => void take(), ms);
    timer.unref();
    stop = () => clearInterval(timer);
  }
  return {
    stop,
    next: () => new Promise((resolve) => waiters.push(resolve)),
  };
}
