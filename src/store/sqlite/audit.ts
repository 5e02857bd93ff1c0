import type { JsonValue } from "../../core/canonical-json.js";
import type { AuditNote, AuditPage, AuditQuery, AuditRecord, NewAuditEntry } from "../audit.js";
import { auditFromRow, type Row } from "../rows.js";
import type { SqliteContext } from "./context.js";

/**
 * The audit log. `insertAudit` runs inside the caller's transaction: the entry commits or rolls
 * back with the change it records.
 */
export function insertAudit(ctx: SqliteContext, entry: NewAuditEntry): AuditRecord {
  const row = ctx
    .sql(
      "INSERT INTO audit_log (at, actor, action, target, reason, details) VALUES (?, ?, ?, ?, ?, ?) RETURNING *",
    )
    .get(
      entry.at,
      entry.actor,
      entry.action,
      entry.target,
      entry.reason,
      entry.details === null ? null : JSON.stringify(entry.details),
    ) as Row;
  return auditFromRow(row);
}

/** The audit entry of an operator's change to a named thing; the note's details are added last. */
export function auditChange(
  ctx: SqliteContext,
  note: AuditNote,
  change: { at: number; actor: string; target: string; reason: string | null },
  details: Record<string, JsonValue>,
): AuditRecord {
  return insertAudit(ctx, {
    ...change,
    action: note.action,
    details: { ...details, ...note.details },
  });
}

export function appendAudit(ctx: SqliteContext, entry: NewAuditEntry): AuditRecord {
  return ctx.write(() => insertAudit(ctx, entry));
}

export function listAudit(ctx: SqliteContext, query: AuditQuery): AuditPage {
  const where: string[] = [];
  const params: unknown[] = [];
  if (query.since !== undefined) (where.push("at >= ?"), params.push(query.since));
  if (query.action) (where.push("action = ?"), params.push(query.action));
  if (query.cursor !== undefined) (where.push("id < ?"), params.push(query.cursor));
  const sql = `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`;
  const rows = ctx.sql(sql).all(...params, query.limit + 1) as Row[];
  const entries = rows.slice(0, query.limit).map(auditFromRow);
  return {
    entries,
    nextCursor: rows.length > query.limit ? (entries.at(-1)?.id ?? null) : null,
  };
}
