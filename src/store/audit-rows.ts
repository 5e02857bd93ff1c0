import type { JsonValue } from "../core/canonical-json.js";
import type { AuditNote, AuditPage, AuditQuery, NewAuditEntry } from "./audit.js";
import { auditFromRow, type Row } from "./rows.js";

/*
 * The audit log's SQL and its pages, the same on both backends (sqlite/audit.ts and
 * postgres/audit.ts run them, each in the caller's transaction).
 */

export const insertAuditSql =
  "INSERT INTO audit_log (at, actor, action, target, reason, details) VALUES (?, ?, ?, ?, ?, ?) RETURNING *";

export function auditParams(entry: NewAuditEntry): unknown[] {
  return [
    entry.at,
    entry.actor,
    entry.action,
    entry.target,
    entry.reason,
    entry.details === null ? null : JSON.stringify(entry.details),
  ];
}

/** The audit entry of an operator's change to a named thing; the note's details are added last. */
export function auditChangeEntry(
  note: AuditNote,
  change: { at: number; actor: string; target: string; reason: string | null },
  details: Record<string, JsonValue>,
): NewAuditEntry {
  return { ...change, action: note.action, details: { ...details, ...note.details } };
}

/** A page's query: newest first, one row more than the limit to know whether more follow. */
export function auditListQuery(query: AuditQuery): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (query.since !== undefined) (where.push("at >= ?"), params.push(query.since));
  if (query.action) (where.push("action = ?"), params.push(query.action));
  if (query.cursor !== undefined) (where.push("id < ?"), params.push(query.cursor));
  const sql = `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`;
  return { sql, params: [...params, query.limit + 1] };
}

export function auditPageOf(rows: Row[], limit: number): AuditPage {
  const entries = rows.slice(0, limit).map(auditFromRow);
  return { entries, nextCursor: rows.length > limit ? (entries.at(-1)?.id ?? null) : null };
}
