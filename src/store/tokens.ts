import type { AuditNote, NewAuditEntry } from "./audit.js";
import type { OperatorChange } from "./operator-change.js";
import { num, numOrNull, type Row } from "./rows.js";
/**
 * API tokens, in domain words. A token's text is `keel_<id>_<secret>`; the store keeps the id, its
 * role and a hash of the secret, never the secret itself. Revoked tokens stay listed (who revoked
 * them and when), and never authenticate again.
 */
export const tokenRoles = ["viewer", "operator", "admin"] as const;
export type TokenRole = (typeof tokenRoles)[number];

export interface NewToken {
  id: string;
  name: string;
  role: TokenRole;
  secretHash: string;
  createdAt: number;
  createdBy: string;
}

export interface TokenRecord extends NewToken {
  lastUsedAt: number | null;
  revokedAt: number | null;
  revokedBy: string | null;
}

/** Row -> record, for both backends (numbers may arrive as strings from PostgreSQL). */
export function tokenFromRow(row: Row): TokenRecord {
  return {
    id: row.id as string,
    name: row.name as string,
    role: row.role as TokenRole,
    secretHash: row.secret_hash as string,
    createdAt: num(row.created_at),
    createdBy: row.created_by as string,
    lastUsedAt: numOrNull(row.last_used_at),
    revokedAt: numOrNull(row.revoked_at),
    revokedBy: (row.revoked_by as string | null) ?? null,
  };
}

/* The token writes' SQL, parameters and audit entries, the same on both backends. */

export const createTokenSql = `INSERT INTO tokens (id, name, role, secret_hash, created_at, created_by)
  VALUES (?, ?, ?, ?, ?, ?) RETURNING *`;

export function createTokenParams(token: NewToken): unknown[] {
  return [token.id, token.name, token.role, token.secretHash, token.createdAt, token.createdBy];
}

export function createTokenAudit(token: NewToken, audit: AuditNote): NewAuditEntry {
  return {
    at: token.createdAt,
    actor: token.createdBy,
    action: audit.action,
    target: token.id,
    reason: null,
    details: { name: token.name, role: token.role, ...audit.details },
  };
}

/** revoking twice keeps the first revocation's who and when */
export const revokeTokenSql = `UPDATE tokens SET revoked_at = coalesce(revoked_at, ?), revoked_by = coalesce(revoked_by, ?)
  WHERE id = ? RETURNING *`;

export function revokeTokenAudit(
  before: TokenRecord,
  change: OperatorChange,
  audit: AuditNote,
): NewAuditEntry {
  const { actor, at } = change;
  return {
    at,
    actor,
    action: audit.action,
    target: before.id,
    reason: change.reason ?? null,
    details: { name: before.name, was_revoked: before.revokedAt !== null, ...audit.details },
  };
}
