import { NotFoundError } from "../../core/errors/definition-errors.js";
import type { AuditNote } from "../audit.js";
import type { OperatorChange } from "../operator-change.js";
import { tokenFromRow, type NewToken, type TokenRecord } from "../tokens.js";
import { insertAudit } from "./audit.js";
import type { PgConn } from "./context.js";

/** API tokens: created and revoked by admins (each with its audit entry), looked up by id. */
export async function createToken(
  c: PgConn,
  token: NewToken,
  audit?: AuditNote,
): Promise<TokenRecord> {
  const row = await c.get(
    `INSERT INTO tokens (id, name, role, secret_hash, created_at, created_by)
     VALUES (?, ?, ?, ?, ?, ?) RETURNING *`,
    [token.id, token.name, token.role, token.secretHash, token.createdAt, token.createdBy],
  );
  if (audit)
    await insertAudit(c, {
      at: token.createdAt,
      actor: token.createdBy,
      action: audit.action,
      target: token.id,
      reason: null,
      details: { name: token.name, role: token.role, ...audit.details },
    });
  return tokenFromRow(row ?? {});
}

export async function getToken(
  c: PgConn,
  id: string,
  lock = false,
): Promise<TokenRecord | undefined> {
  const row = await c.get(`SELECT * FROM tokens WHERE id = ?${lock ? " FOR UPDATE" : ""}`, [id]);
  return row ? tokenFromRow(row) : undefined;
}

export async function listTokens(c: PgConn): Promise<TokenRecord[]> {
  return (await c.all("SELECT * FROM tokens ORDER BY created_at, id")).map(tokenFromRow);
}

export async function revokeToken(
  c: PgConn,
  id: string,
  change: OperatorChange,
): Promise<TokenRecord> {
  const { actor, at: now, audit } = change;
  const before = await getToken(c, id, true);
  if (!before) throw new NotFoundError("token", id);
  // revoking twice keeps the first revocation's who and when
  const row = await c.get(
    `UPDATE tokens SET revoked_at = coalesce(revoked_at, ?), revoked_by = coalesce(revoked_by, ?)
     WHERE id = ? RETURNING *`,
    [now, actor, id],
  );
  if (audit)
    await insertAudit(c, {
      at: now,
      actor,
      action: audit.action,
      target: id,
      reason: change.reason ?? null,
      details: { name: before.name, was_revoked: before.revokedAt !== null, ...audit.details },
    });
  return tokenFromRow(row ?? {});
}
