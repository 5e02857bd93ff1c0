import * as z from "zod";
import { tokenRoles, type TokenRecord } from "../../store/tokens.js";
import { isoTime, maybeTimeSchema } from "./time.js";

/** An API token as an admin sees it: never its secret (only `token` at creation, once). */
export function tokenJson(t: TokenRecord) {
  return {
    id: t.id,
    name: t.name,
    role: t.role,
    created_at: isoTime(t.createdAt),
    created_by: t.createdBy,
    last_used_at: isoTime(t.lastUsedAt),
    revoked: t.revokedAt !== null,
    revoked_at: isoTime(t.revokedAt),
    revoked_by: t.revokedBy,
  };
}

const tokenShape = {
  id: z.string(),
  name: z.string(),
  role: z.enum(tokenRoles),
  created_at: maybeTimeSchema,
  created_by: z.string(),
  last_used_at: maybeTimeSchema,
  revoked: z.boolean(),
  revoked_at: maybeTimeSchema,
  revoked_by: z.string().nullable(),
};
export const tokenSchema = z.strictObject(tokenShape);
export const tokenListSchema = z.strictObject({ tokens: z.array(tokenSchema) });
export const createdTokenSchema = z.strictObject({ ...tokenShape, token: z.string() });
