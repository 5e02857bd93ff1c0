import { statfsSync } from "node:fs";
import type { DiskGuardState } from "../../engine/disk-guard.js";
import {
  defaultDiskThresholds,
  describeUsage,
  diskUsage,
  type DiskStats,
  type DiskThresholds,
  type DiskUsage,
} from "../../engine/disk-usage.js";
import type { ComponentHealth, HealthStatus } from "./types.js";

/**
 * Free space of the data folder. A running node answers with its disk guard's own state (warn ->
 * degraded, paused -> unhealthy, hysteresis included); without one, statfs is read here against
 * the same thresholds (disk.warn_percent / disk.pause_percent, default 80 / 90).
 */
export type StatfsFn = (path: string) => DiskStats;

export function checkDiskHealth(
  dir: string,
  statfs: StatfsFn = statfsSync,
  thresholds: DiskThresholds = defaultDiskThresholds,
): ComponentHealth {
  let usage: DiskUsage;
  try {
    usage = diskUsage(statfs(dir));
  } catch (error) {
    return {
      component: "disk",
      status: "unhealthy",
      reason: `cannot read free space of ${dir}: ${(error as Error).message}`,
      details: { path: dir },
    };
  }
  const status: HealthStatus =
    usage.usedPercent >= thresholds.pausePercent
      ? "unhealthy"
      : usage.usedPercent >= thresholds.warnPercent
        ? "degraded"
        : "healthy";
  const limit = status === "unhealthy" ? thresholds.pausePercent : thresholds.warnPercent;
  const verdict =
    status === "unhealthy"
      ? `: a node claims no new run at >= ${limit}%`
      : status === "degraded"
        ? `: above the warning level of ${limit}%`
        : "";
  return {
    component: "disk",
    status,
    reason: `${describeUsage(usage)}${verdict}`,
    details: usageDetails(dir, usage, thresholds),
  };
}

const statusOf: Record<DiskGuardState["state"], HealthStatus> = {
  ok: "healthy",
  warn: "degraded",
  paused: "unhealthy",
};

/** The verdict of the node's own guard: what it does about the disk, not only how full it is. */
export function diskGuardHealth(guard: DiskGuardState): ComponentHealth {
  const details = {
    ...(guard.usage
      ? usageDetails(guard.path, guard.usage, guard.thresholds)
      : { path: guard.path }),
    state: guard.state,
    since: guard.since,
    checkedAt: guard.checkedAt,
    lastCleanup: guard.lastCleanup,
  };
  if (guard.error !== null && guard.usage === null)
    return {
      component: "disk",
      status: "degraded",
      reason: `the disk guard cannot read free space of ${guard.path}: ${guard.error}`,
      details,
    };
  return {
    component: "disk",
    status: statusOf[guard.state],
    reason: `${guard.state}: ${guard.reason}${guard.error ? ` (last look failed: ${guard.error})` : ""}`,
    details,
  };
}

function usageDetails(path: string, usage: DiskUsage, t: DiskThresholds): Record<string, unknown> {
  return {
    path,
    totalBytes: usage.totalBytes,
    freeBytes: usage.freeBytes,
    usedPercent: usage.usedPercent,
    usedRatio: Math.round(usage.usedPercent * 10) / 1000,
    inodesPercent: usage.inodesPercent,
    warnPercent: t.warnPercent,
    pausePercent: t.pausePercent,
  };
}
