import { NotFoundError } from "../../core/errors/definition-errors.js";
import type { AuditNote } from "../audit.js";
import type { OperatorChange } from "../operator-change.js";
import type { Row } from "../rows.js";
import {
  createTokenAudit,
  createTokenParams,
  createTokenSql,
  revokeTokenAudit,
  revokeTokenSql,
  tokenFromRow,
  type NewToken,
  type TokenRecord,
} from "../tokens.js";
import { insertAudit } from "./audit.js";
import type { SqliteContext } from "./context.js";

/** API tokens: created and revoked by admins (each with its audit entry), looked up by id. */

export function createToken(ctx: SqliteContext, token: NewToken, audit?: AuditNote): TokenRecord {
  return ctx.write(() => {
    const row = ctx.sql(createTokenSql).get(...createTokenParams(token)) as Row;
    if (audit) insertAudit(ctx, createTokenAudit(token, audit));
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
  return ctx.write(() => {
    const before = getToken(ctx, id);
    if (!before) throw new NotFoundError("token", id);
    const row = ctx.sql(revokeTokenSql).get(change.at, change.actor, id) as Row;
    if (change.audit) insertAudit(ctx, revokeTokenAudit(before, change, change.audit));
    return tokenFromRow(row);
  });
}

export function touchToken(ctx: SqliteContext, id: string, at: number): void {
  ctx.write(() => {
    ctx.sql("UPDATE tokens SET last_used_at = ? WHERE id = ?").run(at, id);
  });
}
