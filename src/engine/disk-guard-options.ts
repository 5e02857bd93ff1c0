import { InvalidInputError } from "../core/errors/definition-errors.js";
import { dirname } from "node:path";
import { resolveHome, sqlitePathFor } from "../store/home.js";
import type { CleanupTask } from "./disk-cleanup.js";
import { checkNumber, withDefaults } from "./option-checks.js";
import { defaultDiskThresholds, type DiskThresholds, type StatfsFn } from "./disk-usage.js";

/**
 * The disk guard's settings (`disk` in the node options, `disk:` in keel.yaml), resolved once.
 * `false` turns the guard off: no look at free space, nothing paused, no cleanup.
 */
export interface DiskGuardSettings {
  /** the folder whose filesystem is watched; default the store's folder (the keel home) */
  path?: string;
  warnPercent?: number;
  pausePercent?: number;
  /** percentage points below a threshold before its state is left; default 2 */
  hysteresisPercent?: number;
  /** how often free space is read (ms); default 1000 */
  intervalMs?: number;
  /** how often cleanup runs again while warn or paused (ms); default 300000 */
  cleanupIntervalMs?: number;
  /** purge quarantined runs older than this many days when cleaning up; unset: never */
  purgeQuarantineOlderThanDays?: number;
  /** more cleanup tasks (backups, logs, telemetry...) besides the built-in quarantine purge */
  cleanup?: CleanupTask[];
  /** for tests: a statfs to use instead of the filesystem's */
  statfs?: StatfsFn;
}

export interface ResolvedDiskGuardSettings {
  readonly path: string;
  readonly thresholds: DiskThresholds;
  readonly intervalMs: number;
  readonly cleanupIntervalMs: number;
  readonly purgeQuarantineOlderThanDays: number | null;
  readonly cleanup: readonly CleanupTask[];
  readonly statfs: StatfsFn | undefined;
}

export function resolveDiskGuardSettings(
  settings: DiskGuardSettings | false | undefined,
  home: string | undefined,
): ResolvedDiskGuardSettings | null {
  if (settings === false) return null;
  const s = settings ?? {};
  const thresholds = withDefaults(defaultDiskThresholds, s);
  checkNumber("disk.warnPercent", thresholds.warnPercent, 1, 100);
  checkNumber("disk.pausePercent", thresholds.pausePercent, 1, 100);
  checkNumber("disk.hysteresisPercent", thresholds.hysteresisPercent, 0, 50);
  if (thresholds.warnPercent > thresholds.pausePercent)
    throw new InvalidInputError(
      `disk.warnPercent (${thresholds.warnPercent}) must not be above disk.pausePercent (${thresholds.pausePercent})`,
      { field: "disk.warnPercent" },
    );
  const resolved = {
    path: s.path ?? storeFolder(home),
    thresholds: Object.freeze(thresholds),
    intervalMs: s.intervalMs ?? 1000,
    cleanupIntervalMs: s.cleanupIntervalMs ?? 300_000,
    purgeQuarantineOlderThanDays: s.purgeQuarantineOlderThanDays ?? null,
    cleanup: Object.freeze([...(s.cleanup ?? [])]),
    statfs: s.statfs,
  };
  checkNumber("disk.intervalMs", resolved.intervalMs, 10, 3_600_000);
  checkNumber("disk.cleanupIntervalMs", resolved.cleanupIntervalMs, 10, 86_400_000);
  if (resolved.purgeQuarantineOlderThanDays !== null)
    checkNumber(
      "disk.purgeQuarantineOlderThanDays",
      resolved.purgeQuarantineOlderThanDays,
      0,
      36_500,
    );
  return Object.freeze(resolved);
}

/** Where the SQLite store lives: the home, or the folder of KEEL_STORE's file when that is set. */
function storeFolder(home: string | undefined): string {
  const file = sqlitePathFor({ home });
  return file === null ? resolveHome(home) : dirname(file);
}
