import { NotFoundError } from "../../core/errors/definition-errors.js";
import type { AuditNote } from "../audit.js";
import type { OperatorChange } from "../operator-change.js";
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
import type { PgConn } from "./context.js";

/** API tokens: created and revoked by admins (each with its audit entry), looked up by id. */
export async function createToken(
  c: PgConn,
  token: NewToken,
  audit?: AuditNote,
): Promise<TokenRecord> {
  const row = await c.get(createTokenSql, createTokenParams(token));
  if (audit) await insertAudit(c, createTokenAudit(token, audit));
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
  const before = await getToken(c, id, true);
  if (!before) throw new NotFoundError("token", id);
  const row = await c.get(revokeTokenSql, [change.at, change.actor, id]);
  if (change.audit) await insertAudit(c, revokeTokenAudit(before, change, change.audit));
  return tokenFromRow(row ?? {});
}
