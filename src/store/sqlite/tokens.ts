import { NotFoundError } from "../../core/errors/definition-errors.js";
import type { AuditNote } from "../audit.js";
import type { OperatorChange } from "../operator-change.js";
import type { Row } from "../rows.js";
import { tokenFromRow, type NewToken, type TokenRecord } from "../tokens.js";
import { insertAudit } from "./audit.js";
import type { SqliteContext } from "./context.js";

/** API tokens: created and revoked by admins (each with its audit entry), looked up by id. */

export function createToken(ctx: SqliteContext, token: NewToken, audit?: AuditNote): TokenRecord {
  return ctx.write(() => {
    const row = ctx
      .sql(
        `INSERT INTO tokens (id, name, role, secret_hash, created_at, created_by)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING *`,
      )
      .get(
        token.id,
        token.name,
        token.role,
        token.secretHash,
        token.createdAt,
        token.createdBy,
      ) as Row;
    if (audit)
      insertAudit(ctx, {
        at: token.createdAt,
        actor: token.createdBy,
        action: audit.action,
        target: token.id,
        reason: null,
        details: { name: token.name, role: token.role, ...audit.details },
      });
    return tokenFromRow(row);
  });
}

export function getToken(ctx: SqliteContext, id: string): TokenRecord | undefined {
  const row = ctx.sql("SELECT * FROM tokens WHERE id = ?").get(id) as Row | undefined;
  return row ? tokenFromRow(row) : undefined;
}

export function listTokens(ctx: SqliteContext): TokenRecord[] {
  return (ctx.sql("SELECT * FROM tokens ORDER BY created_at, id").all() as Row[]).map(tokenFromRow);
}

export function revokeToken(ctx: SqliteContext, id: string, change: OperatorChange): TokenRecord {
  const { actor, at: now, audit } = change;
  return ctx.write(() => {
    const before = getToken(ctx, id);
    if (!before) throw new NotFoundError("token", id);
    // revoking twice keeps the first revocation's who and when
    const row = ctx
      .sql(
        `UPDATE tokens SET revoked_at = coalesce(revoked_at, ?), revoked_by = coalesce(revoked_by, ?)
         WHERE id = ? RETURNING *`,
      )
      .get(now, actor, id) as Row;
    if (audit)
      insertAudit(ctx, {
        at: now,
        actor,
        action: audit.action,
        target: id,
        reason: change.reason ?? null,
        details: { name: before.name, was_revoked: before.revokedAt !== null, ...audit.details },
      });
    return tokenFromRow(row);
  });
}

export function touchToken(ctx: SqliteContext, id: string, at: number): void {
  ctx.write(() => {
    ctx.sql("UPDATE tokens SET last_used_at = ? WHERE id = ?").run(at, id);
  });
}
