import type { JsonValue } from "../core/canonical-json.js";
import type { AuditNote, AuditPage, AuditQuery, AuditRecord, NewAuditEntry } from "./audit.js";
import type { OperatorChange, ReasonedChange, SettingChange } from "./operator-change.js";
import type { PurgeRequest, PurgeResult, RetryRequest, RetryResult } from "./operator-requests.js";
import type { RunRecord } from "./records.js";
import type { NewToken, TokenRecord } from "./tokens.js";

/**
 * The operators' hand-made changes to runs, tokens and settings, and the audit log they write.
 * A change's audit entry, when asked for, is written in the change's own transaction.
 */
export interface OperatorStore {
  /** pending or running -> cancelled */
  cancelRun(runId: string, change: ReasonedChange): Promise<RunRecord>;
  /**
   * An operator's retry: quarantined, cancelled or succeeded (the last only with steps to clear)
   * -> pending, due now. Deletes the checkpoints of `clearSteps`, resets the failed-attempt counts
   * of every step that will run again, writes the run's `operator_retry` transition, a `cleared`
   * transition per deleted checkpoint and the audit entry, all in one transaction.
   */
  retryRun(runId: string, request: RetryRequest): Promise<RetryResult>;
  /** deletes quarantined runs with their checkpoints and transitions, and writes the audit entry */
  purgeRuns(request: PurgeRequest): Promise<PurgeResult>;

  appendAudit(entry: NewAuditEntry): Promise<AuditRecord>;
  /** newest first */
  listAudit(query: AuditQuery): Promise<AuditPage>;

  createToken(token: NewToken, audit?: AuditNote): Promise<TokenRecord>;
  getToken(id: string): Promise<TokenRecord | undefined>;
  /** revoked tokens included, oldest first */
  listTokens(): Promise<TokenRecord[]>;
  /** revoking twice keeps the first revocation's who and when */
  revokeToken(id: string, change: OperatorChange): Promise<TokenRecord>;
  /** notes the token was used (callers throttle it; it is not audited) */
  touchToken(id: string, at: number): Promise<void>;

  getSetting(key: string): Promise<JsonValue | undefined>;
  setSetting(key: string, value: JsonValue, change: SettingChange): Promise<void>;
}
