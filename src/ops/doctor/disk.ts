import { existsSync, statSync, statfsSync } from "node:fs";
import { describeUsage, diskUsage, type DiskUsage } from "../../engine/disk-usage.js";
import { iso, keelFix } from "./command.js";
import type { DoctorCheck, DoctorContext, Finding } from "./types.js";

/** a write-ahead log above this many bytes, and above the store file itself, is growing unchecked */
export const walWarnBytes = 64 * 1024 * 1024;

/**
 * Disk pressure of the data folder: the node's own guard when a node answers (warn, or paused:
 * claiming stopped), else statfs against the same thresholds; and a write-ahead log that grows
 * past the store (a checkpoint held back by a long reader, or no space to truncate it).
 */
export const diskCheck: DoctorCheck = {
  name: "disk",
  description: "the data folder's disk above the warning level, the guard paused, WAL growth",
  async run(ctx) {
    const findings: Finding[] = [];
    const pressure = diskPressure(ctx);
    if (pressure) findings.push(pressure);
    const wal = walGrowth(ctx);
    if (wal) findings.push(wal);
    return findings;
  },
};

function diskPressure(ctx: DoctorContext): Finding | null {
  const guard = ctx.live?.disk;
  const thresholds = guard?.thresholds ?? ctx.settings.diskThresholds;
  let usage: DiskUsage | null = guard?.usage ?? null;
  const path = guard?.path ?? (existsSync(ctx.home) ? ctx.home : "/");
  if (!usage)
    try {
      usage = diskUsage(statfsSync(path));
    } catch {
      return null;
    }
  const paused = guard ? guard.state === "paused" : usage.usedPercent >= thresholds.pausePercent;
  const warn = guard ? guard.state === "warn" : usage.usedPercent >= thresholds.warnPercent;
  if (!paused && !warn) return null;
  return {
    check: "disk",
    severity: paused ? "problem" : "warning",
    summary: paused
      ? `the disk of ${path} is full enough that no new run is claimed (${describeUsage(usage)}, pause at ${thresholds.pausePercent}%)`
      : `the disk of ${path} is above the warning level (${describeUsage(usage)}, warn at ${thresholds.warnPercent}%)`,
    evidence: {
      path,
      used_percent: usage.usedPercent,
      free_bytes: usage.freeBytes,
      total_bytes: usage.totalBytes,
      warn_percent: thresholds.warnPercent,
      pause_percent: thresholds.pausePercent,
      guard: guard ? { state: guard.state, since: iso(guard.since) } : null,
    },
    commands: [
      `du -sh ${ctx.home}/* | sort -h`,
      keelFix(ctx, "telemetry clean --older-than-days 7"),
      keelFix(ctx, "quarantine purge --older-than-days 30 --dry-run"),
      keelFix(ctx, "health check disk"),
    ],
  };
}

function walGrowth(ctx: DoctorContext): Finding | null {
  if (!ctx.storeFile) return null;
  const walBytes = sizeOf(`${ctx.storeFile}-wal`);
  const storeBytes = sizeOf(ctx.storeFile);
  if (walBytes < walWarnBytes || walBytes < storeBytes) return null;
  return {
    check: "disk",
    severity: "warning",
    summary: `the store's write-ahead log holds ${Math.round(walBytes / 1048576)} MiB, more than the store itself (${Math.round(storeBytes / 1048576)} MiB): checkpoints are not keeping up`,
    evidence: { wal: `${ctx.storeFile}-wal`, wal_bytes: walBytes, store_bytes: storeBytes },
    // a node truncates the log at its checkpoints; a restart ends whatever reader holds it back
    commands: [
      keelFix(ctx, "health check store --verbose"),
      keelFix(ctx, "stop"),
      keelFix(ctx, "start"),
    ],
  };
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
