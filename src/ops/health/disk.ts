import { statfsSync, type StatsFs } from "node:fs";
import type { ComponentHealth, HealthStatus } from "./types.js";

/** Free space of the data folder: degraded at 80 % used, unhealthy at 90 %. */
export const diskDegradedRatio = 0.8;
export const diskUnhealthyRatio = 0.9;

export type StatfsFn = (path: string) => Pick<StatsFs, "bsize" | "blocks" | "bavail">;

export function checkDiskHealth(dir: string, statfs: StatfsFn = statfsSync): ComponentHealth {
  let stats: ReturnType<StatfsFn>;
  try {
    stats = statfs(dir);
  } catch (error) {
    return {
      component: "disk",
      status: "unhealthy",
      reason: `cannot read free space of ${dir}: ${(error as Error).message}`,
      details: { path: dir },
    };
  }
  const totalBytes = stats.blocks * stats.bsize;
  const freeBytes = stats.bavail * stats.bsize;
  const usedRatio = totalBytes > 0 ? 1 - freeBytes / totalBytes : 1;
  const status: HealthStatus =
    usedRatio >= diskUnhealthyRatio
      ? "unhealthy"
      : usedRatio >= diskDegradedRatio
        ? "degraded"
        : "healthy";
  const percent = Math.round(usedRatio * 1000) / 10;
  const reason =
    status === "healthy"
      ? `${percent}% used, ${formatBytes(freeBytes)} free`
      : `${percent}% used (${status} at >= ${(status === "unhealthy" ? diskUnhealthyRatio : diskDegradedRatio) * 100}%), ${formatBytes(freeBytes)} free`;
  return {
    component: "disk",
    status,
    reason,
    details: {
      path: dir,
      totalBytes,
      freeBytes,
      usedRatio: Math.round(usedRatio * 10_000) / 10_000,
    },
  };
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
