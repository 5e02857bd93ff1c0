import type { JsonValue } from "../core/canonical-json.js";

/**
 * The operators' audit log, in domain words: who changed what by hand, when and why. Append-only;
 * each entry is written in the same transaction as the change it records, so the log never claims
 * a change that was rolled back, nor misses one that was committed.
 */
export const AuditAction = {
  runCancel: "run.cancel",
  runRetry: "run.retry",
  quarantinePurge: "quarantine.purge",
  sourcePause: "source.pause",
  sourceResume: "source.resume",
  tokenCreate: "token.create",
  tokenRevoke: "token.revoke",
  telemetryClean: "telemetry.clean",
  /** keel rebuilt damaged indexes of the store by itself (actor keel:store-watch) */
  storeRepair: "store.repair",
  /** `keel doctor --fix` applied one safe fix (details: the fix's id and what it did) */
  doctorFix: "doctor.fix",
  /** a bulk cancel or quarantine retry: one entry carrying every run id */
  runsCancelBulk: "runs.cancel_bulk",
  quarantineRetryBulk: "quarantine.retry_bulk",
  joinTokenCreate: "join_token.create",
  joinTokenRevoke: "join_token.revoke",
  /** a node registered with a join token (actor: the node) */
  nodeJoin: "node.join",
  /** a node heard at its heartbeat that its join token is revoked, and stopped claiming */
  nodeBlocked: "node.blocked",
  nodeDrain: "node.drain",
  nodeUndrain: "node.undrain",
  nodeForget: "node.forget",
  /** one retention sweep that deleted ended runs (actor keel:retention, details: the counts) */
  runsRetention: "runs.retention",
  /** a person decided an approval gate (target: the run; details: the gate, the wait) */
  gateApprove: "gate.approve",
  gateReject: "gate.reject",
} as const;
export type AuditAction = (typeof AuditAction)[keyof typeof AuditAction];

export interface NewAuditEntry {
  at: number;
  /** who: `cli:<user>`, `api`, a token name... */
  actor: string;
  /** what: a dotted verb such as `run.retry` (AuditAction for keel's own) */
  action: string;
  /** on what: a run id, or `quarantine` for a purge; null when nothing in particular */
  target: string | null;
  /** why, in the operator's words (a cancel's reason, a retry's note) */
  reason: string | null;
  details: JsonValue | null;
}

export interface AuditRecord extends NewAuditEntry {
  id: number;
}

/** What an operator change adds to its own audit entry; the store fills in the rest. */
export interface AuditNote {
  action: string;
  details?: Record<string, JsonValue>;
}

export interface AuditQuery {
  /** epoch ms: entries at or after */
  since?: number;
  action?: string;
  limit: number;
  /** id of the last entry of the previous page (newest first) */
  cursor?: number;
}

export interface AuditPage {
  entries: AuditRecord[];
  nextCursor: number | null;
}
