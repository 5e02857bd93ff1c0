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
