import type { JsonValue } from "../../core/canonical-json.js";
import type { AuditNote, AuditPage, AuditQuery, AuditRecord, NewAuditEntry } from "../audit.js";
import { auditFromRow } from "../rows.js";
import type { PgConn } from "./context.js";

/** The audit log; `insertAudit` runs in the caller's transaction, with the change it records. */
export async function insertAudit(c: PgConn, entry: NewAuditEntry): Promise<AuditRecord> {
  const row = await c.get(
    "INSERT INTO audit_log (at, actor, action, target, reason, details) VALUES (?, ?, ?, ?, ?, ?) RETURNING *",
    [
      entry.at,
      entry.actor,
      entry.action,
      entry.target,
      entry.reason,
      entry.details === null ? null : JSON.stringify(entry.details),
    ],
  );
  return auditFromRow(row ?? {});
}

/** The audit entry of an operator's change to a named thing; the note's details are added last. */
export function auditChange(
  c: PgConn,
  note: AuditNote,
  change: { at: number; actor: string; target: string; reason: string | null },
  details: Record<string, JsonValue>,
): Promise<AuditRecord> {
  return insertAudit(c, {
    ...change,
    action: note.action,
    details: { ...details, ...note.details },
  });
}

export async function listAudit(c: PgConn, query: AuditQuery): Promise<AuditPage> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (query.since !== undefined) (where.push("at >= ?"), params.push(query.since));
  if (query.action) (where.push("action = ?"), params.push(query.action));
  if (query.cursor !== undefined) (where.push("id < ?"), params.push(query.cursor));
  const sql = `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`;
  const rows = await c.all(sql, [...params, query.limit + 1]);
  const entries = rows.slice(0, query.limit).map(auditFromRow);
  return {
    entries,
    nextCursor: rows.length > query.limit ? (entries.at(-1)?.id ?? null) : null,
  };
}
