import type { AuditNote } from "./audit.js";

/**
 * One operator write, as every backend receives it: who, when, why, and the audit entry to write
 * in the same transaction as the change (a refused change writes neither). Cancel, pause, resume,
 * trip, reset, revoke and settings all take this one shape instead of positional arguments.
 */
export interface OperatorChange {
  actor: string;
  /** epoch ms */
  at: number;
  /** why: recorded with the change where it keeps one (a pause, a trip) and in the audit entry */
  reason?: string | null;
  audit?: AuditNote;
}

/** A change that must say why (cancel, pause, trip). */
export interface ReasonedChange extends OperatorChange {
  reason: string;
}

/** A setting's change: its audit entry may name a target other than the setting's key. */
export interface SettingChange extends OperatorChange {
  audit?: AuditNote & { target?: string };
}
