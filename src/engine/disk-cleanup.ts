import type { Store } from "../store/store.js";
import type { Logger } from "./logger.js";
import { purgeQuarantined } from "./operator-actions.js";

/**
 * Retention cleanup run by the disk guard when the data folder fills up. The engine knows only
 * the list: each task deletes what its own retention rule allows and says what it freed. Tasks
 * that live above the engine (backups, rotated logs, telemetry rollups) are handed in by whoever
 * starts the node (`disk.cleanup` in the options, or `Keel.addDiskCleanup()`); a task that fails
 * is logged and the others still run.
 */
export interface CleanupTask {
  /** a short name for logs and events: "backups", "logs", "quarantine", "telemetry" */
  readonly name: string;
  run(context: CleanupContext): Promise<CleanupOutcome> | CleanupOutcome;
}

export interface CleanupContext {
  /** the guard's state that asked for this round */
  state: "warn" | "paused";
  now: number;
}

export interface CleanupOutcome {
  /** files or rows deleted */
  removed: number;
  /** bytes given back to the filesystem, or null when unknown (rows freed inside the store) */
  bytes: number | null;
}

export interface CleanupReport {
  at: number;
  state: "warn" | "paused";
  ms: number;
  tasks: (CleanupOutcome & { name: string; error: string | null })[];
}

/** the actor the audit log names for runs the disk guard purges */
const diskGuardActor = "keel:disk-guard";

export async function runCleanup(
  tasks: readonly CleanupTask[],
  context: CleanupContext,
  log: Logger,
): Promise<CleanupReport> {
  const started = performance.now();
  const report: CleanupReport = { at: context.now, state: context.state, ms: 0, tasks: [] };
  for (const task of tasks) {
    try {
      const outcome = await task.run(context);
      report.tasks.push({ name: task.name, ...outcome, error: null });
    } catch (error) {
      log.warn({ err: error, task: task.name }, "disk cleanup task failed; the others still run");
      report.tasks.push({
        name: task.name,
        removed: 0,
        bytes: null,
        error: (error as Error).message,
      });
    }
  }
  report.ms = Math.round(performance.now() - started);
  return report;
}

/**
 * Quarantined runs older than `days` (by the time they were quarantined), purged the way an
 * operator's purge does it: one transaction, with an audit entry naming `keel:disk-guard`. The
 * store file does not shrink; the freed pages are reused by the next writes.
 */
export function quarantinePurgeTask(store: Store, days: number): CleanupTask {
  return {
    name: "quarantine",
    async run({ now }) {
      const result = await purgeQuarantined(
        store,
        { olderThan: now - days * 86_400_000, actor: diskGuardActor },
        now,
      );
      return { removed: result.count, bytes: null };
    },
  };
}
