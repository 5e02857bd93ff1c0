import type { JsonValue } from "../../core/canonical-json.js";
import type { AuditNote, AuditPage, AuditQuery, AuditRecord, NewAuditEntry } from "../audit.js";
import {
  auditChangeEntry,
  auditListQuery,
  auditPageOf,
  auditParams,
  insertAuditSql,
} from "../audit-rows.js";
import { auditFromRow } from "../rows.js";
import type { PgConn } from "./context.js";

/** The audit log; `insertAudit` runs in the caller's transaction, with the change it records. */
export async function insertAudit(c: PgConn, entry: NewAuditEntry): Promise<AuditRecord> {
  return auditFromRow((await c.get(insertAuditSql, auditParams(entry))) ?? {});
}

/** The audit entry of an operator's change to a named thing (audit-rows.ts). */
export function auditChange(
  c: PgConn,
  note: AuditNote,
  change: { at: number; actor: string; target: string; reason: string | null },
  details: Record<string, JsonValue>,
): Promise<AuditRecord> {
  return insertAudit(c, auditChangeEntry(note, change, details));
}

export async function listAudit(c: PgConn, query: AuditQuery): Promise<AuditPage> {
  const { sql, params } = auditListQuery(query);
  return auditPageOf(await c.all(sql, params), query.limit);
}
