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
