/**
 * How full a filesystem is, and which disk-guard state that means. Pure functions over what
 * `fs.statfs` returns, shared by the node's guard and the `disk` health check.
 *
 * Used % is computed as `df` shows it: used / (used + available to unprivileged processes), so a
 * filesystem's root reserve does not count as free (a node that is not root cannot write there)
 * and 100 % means writes fail. When the filesystem counts inodes, the fuller of blocks and inodes
 * decides: a disk out of inodes refuses new files with free space left.
 */
export const DiskState = { ok: "ok", warn: "warn", paused: "paused" } as const;
export type DiskState = (typeof DiskState)[keyof typeof DiskState];

export interface DiskStats {
  bsize: number;
  blocks: number;
  /** free blocks, the root reserve included; defaults to bavail when a caller leaves it out */
  bfree?: number;
  /** free blocks an unprivileged process may use */
  bavail: number;
  files?: number;
  ffree?: number;
}

export type StatfsFn = (path: string) => Promise<DiskStats> | DiskStats;

export interface DiskUsage {
  totalBytes: number;
  freeBytes: number;
  /** blocks in use, 0-100 */
  spacePercent: number;
  /** inodes in use, 0-100, or null when the filesystem does not count them */
  inodesPercent: number | null;
  /** the fuller of the two: what the guard compares with its thresholds */
  usedPercent: number;
}

export interface DiskThresholds {
  warnPercent: number;
  pausePercent: number;
  /** how far below a threshold usage must fall to leave its state (no flapping around it) */
  hysteresisPercent: number;
}

export const defaultDiskThresholds: DiskThresholds = Object.freeze({
  warnPercent: 80,
  pausePercent: 90,
  hysteresisPercent: 2,
});

// kept fine-grained (a few MiB of a large disk is a few thousandths of a percent); shown rounded
const precise = (n: number): number => Math.round(n * 10_000) / 10_000;
const oneDecimal = (n: number): number => Math.round(n * 10) / 10;

export function diskUsage(stats: DiskStats): DiskUsage {
  const used = Math.max(0, stats.blocks - (stats.bfree ?? stats.bavail));
  const visible = used + stats.bavail;
  const spacePercent = visible > 0 ? precise((used / visible) * 100) : 100;
  const inodesPercent =
    stats.files && stats.files > 0 && stats.ffree !== undefined
      ? precise(((stats.files - stats.ffree) / stats.files) * 100)
      : null;
  return {
    totalBytes: stats.blocks * stats.bsize,
    freeBytes: stats.bavail * stats.bsize,
    spacePercent,
    inodesPercent,
    usedPercent: Math.max(spacePercent, inodesPercent ?? 0),
  };
}

/** Thresholds apply on the way up; on the way down a state holds until usage is `hysteresis` below. */
export function nextDiskState(
  usedPercent: number,
  current: DiskState,
  t: DiskThresholds,
): DiskState {
  if (usedPercent >= t.pausePercent) return "paused";
  if (current === "paused" && usedPercent >= t.pausePercent - t.hysteresisPercent) return "paused";
  if (usedPercent >= t.warnPercent) return "warn";
  if (current !== "ok" && usedPercent >= t.warnPercent - t.hysteresisPercent) return "warn";
  return "ok";
}

function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** "91.2% used, 700.0 KiB free (inodes 12%)": the figures every log line and health reason shows. */
export function describeUsage(usage: DiskUsage): string {
  const inodes =
    usage.inodesPercent !== null && usage.inodesPercent > usage.spacePercent
      ? ` (inodes ${oneDecimal(usage.inodesPercent)}% used)`
      : "";
  return `${oneDecimal(usage.spacePercent)}% used, ${formatBytes(usage.freeBytes)} free${inodes}`;
}
