import type { DiskGuardSettings } from "../engine/disk-guard-options.js";
import type { DiskThresholds } from "../engine/disk-usage.js";
import type { RetentionSettings } from "../engine/retention-sweep.js";
import type { WorkerSettings } from "../engine/worker-options.js";
import type { KeelConfig } from "./config-schema.js";

/**
 * keel.yaml's `disk:` and `workers:` sections as the node's options: snake_case keys to the
 * engine's names, in one place, so `keel start` and `keel health` read the same thresholds.
 */
export function diskThresholds(config: Pick<KeelConfig, "disk">): DiskThresholds {
  return {
    warnPercent: config.disk.warn_percent,
    pausePercent: config.disk.pause_percent,
    hysteresisPercent: config.disk.hysteresis_percent,
  };
}

export function diskGuardSettings(config: Pick<KeelConfig, "disk">): DiskGuardSettings | false {
  const d = config.disk;
  if (!d.enabled) return false;
  return {
    ...diskThresholds(config),
    intervalMs: d.check_interval_ms,
    cleanupIntervalMs: d.cleanup_interval_ms,
    purgeQuarantineOlderThanDays: d.purge_quarantine_older_than_days,
  };
}

export function workerSettings(config: Pick<KeelConfig, "workers">): WorkerSettings {
  const w = config.workers;
  return {
    concurrency: w.concurrency,
    minWorkers: w.min_workers,
    maxWorkers: w.max_workers,
    deferBelowPriority: w.defer_below_priority,
    claimAhead: w.claim_ahead,
    claimAheadWaitMs: w.claim_ahead_wait_ms,
  };
}

/** keel.yaml's `retention:` as the node's retention settings. */
export function retentionSettings(config: Pick<KeelConfig, "retention">): RetentionSettings {
  const r = config.retention;
  return {
    succeededDays: r.succeeded_days,
    cancelledDays: r.cancelled_days,
    batchSize: r.batch_size,
    pauseMs: r.pause_ms,
    intervalMs: r.interval_ms,
  };
}
