import type { KeelConfig } from "../config-schema.js";
import { diskThresholds } from "../guard-settings.js";
import type { DoctorSettings } from "./types.js";

/**
 * keel.yaml's `doctor:` section (and the disk thresholds, backup.keep, the cluster's windows) as
 * the checks' settings.
 */
export function doctorSettings(
  config: Pick<KeelConfig, "doctor" | "disk" | "backup" | "cluster" | "node">,
): DoctorSettings {
  const d = config.doctor;
  return {
    diskThresholds: diskThresholds(config),
    backupMaxAgeHours: d.backup_max_age_hours,
    tokenMaxAgeDays: d.token_max_age_days,
    pendingMaxAgeMs: d.pending_max_age_ms,
    runningMaxAgeMs: d.running_max_age_ms,
    heartbeatMaxAgeMs: d.heartbeat_max_age_ms,
    quarantineBurst: d.quarantine_burst,
    retryBurst: d.retry_burst,
    tickLateMs: d.tick_late_ms,
    backupKeep: config.backup.keep,
    cluster: {
      offlineAfterMs: config.cluster.offline_after_ms ?? config.node.lease_ms,
      goneAfterMs: config.cluster.gone_after_ms,
      stuckAfterMs: config.cluster.stuck_after_ms,
    },
  };
}
