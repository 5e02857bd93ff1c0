import type { LiveNodeState } from "../health/index.js";
import type { Store } from "../../store/store.js";
import type { StoreFileState } from "../../store/files.js";
import { defaultDiskThresholds, type DiskThresholds } from "../../engine/disk-usage.js";
import { defaultWindows, type ClusterWindows } from "../cluster.js";

/**
 * `keel doctor`: every check is a small module that reads the store, the home folder and what
 * the node answering knows first-hand, and returns findings. A finding says what is wrong, the
 * figures behind it, and the exact keel commands that fix it; a check that also knows a safe,
 * reversible fix declares it, and only `keel doctor --fix` applies it.
 */
export type Severity = "warning" | "problem";

export interface Finding {
  check: string;
  severity: Severity;
  /** what is wrong, in one sentence */
  summary: string;
  /** the figures behind it: counts, ages in ms, run ids, times */
  evidence: Record<string, unknown>;
  /** the keel commands (or shell commands) that fix it, in order */
  commands: string[];
  /** what `--fix` does about it, when the check knows a safe, reversible fix */
  autoFix?: AutoFix;
}

export interface AutoFix {
  /** a stable name, e.g. `backup.take` (the audit action is `doctor.fix`) */
  id: string;
  /** what it will do, printed before it does it */
  description: string;
  /** the fix's target: a breaker name, a file; stored in the audit entry */
  target: string | null;
}

/** What the checks read: the store (null when it cannot be read), the home, the live node. */
export interface DoctorContext {
  home: string;
  now: number;
  /** null when the store file is missing or damaged: the store check reports why */
  store: Store | null;
  /** the SQLite file of this home, or null for a PostgreSQL store */
  storeFile: string | null;
  storeState: StoreFileState | null;
  /** the live pid of this home's pidfile, or null */
  pid: number | null;
  /** what the node answering knows first-hand; undefined when no node answers */
  live: LiveNodeState | undefined;
  settings: DoctorSettings;
}

export interface DoctorSettings {
  diskThresholds: DiskThresholds;
  /** a backup older than this is a finding (backups of a SQLite store only) */
  backupMaxAgeHours: number;
  /** an admin token older than this, never rotated, is a finding */
  tokenMaxAgeDays: number;
  /** a run pending past its due time by more than this is stuck */
  pendingMaxAgeMs: number;
  /** a run running longer than this (with no step timeout shorter) is past its SLO */
  runningMaxAgeMs: number;
  /** a node's heartbeat older than this is late */
  heartbeatMaxAgeMs: number;
  /** quarantined runs of one reason in the last hour at or above this */
  quarantineBurst: number;
  /** failed attempts of one step in the last hour at or above this */
  retryBurst: number;
  /** a source's tick this late (past its due time) means no node ticks it */
  tickLateMs: number;
  /** backups to keep when `--fix` takes one (backup.keep) */
  backupKeep: number;
  /**
   * how the cluster judges its nodes (cluster.offline_after_ms, gone_after_ms, stuck_after_ms):
   * a node that finished no step for stuck_after_ms while work waits is stalled
   */
  cluster: ClusterWindows;
}

export const defaultDoctorSettings: DoctorSettings = Object.freeze({
  diskThresholds: defaultDiskThresholds,
  backupMaxAgeHours: 26,
  tokenMaxAgeDays: 90,
  pendingMaxAgeMs: 60_000,
  runningMaxAgeMs: 3_600_000,
  heartbeatMaxAgeMs: 5_000,
  quarantineBurst: 10,
  retryBurst: 20,
  tickLateMs: 60_000,
  backupKeep: 7,
  cluster: defaultWindows,
});

export interface DoctorCheck {
  name: string;
  /** one line for `keel doctor --help` and docs/doctor.md */
  description: string;
  run(ctx: DoctorContext): Promise<Finding[]>;
}
