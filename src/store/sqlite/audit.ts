import type { JsonValue } from "../../core/canonical-json.js";
import type { AuditNote, AuditPage, AuditQuery, AuditRecord, NewAuditEntry } from "../audit.js";
import {
  auditChangeEntry,
  auditListQuery,
  auditPageOf,
  auditParams,
  insertAuditSql,
} from "../audit-rows.js";
import { auditFromRow, type Row } from "../rows.js";
import type { SqliteContext } from "./context.js";

/**
 * The audit log. `insertAudit` runs inside the caller's transaction: the entry commits or rolls
 * back with the change it records.
 */
export function insertAudit(ctx: SqliteContext, entry: NewAuditEntry): AuditRecord {
  return auditFromRow(ctx.sql(insertAuditSql).get(...auditParams(entry)) as Row);
}

/** The audit entry of an operator's change to a named thing (audit-rows.ts). */
export function auditChange(
  ctx: SqliteContext,
  note: AuditNote,
  change: { at: number; actor: string; target: string; reason: string | null },
  details: Record<string, JsonValue>,
): AuditRecord {
  return insertAudit(ctx, auditChangeEntry(note, change, details));
}

export function appendAudit(ctx: SqliteContext, entry: NewAuditEntry): AuditRecord {
  return ctx.write(() => insertAudit(ctx, entry));
}

export function listAudit(ctx: SqliteContext, query: AuditQuery): AuditPage {
  const { sql, params } = auditListQuery(query);
  return auditPageOf(ctx.sql(sql).all(...params) as Row[], query.limit);
}
