import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { KeelError } from "../core/errors/keel-error.js";
import { AuditAction } from "../store/audit.js";
import type { Store } from "../store/store.js";
import { tokenRoles, type TokenRecord, type TokenRole } from "../store/tokens.js";
import { writeFileAtomic } from "./atomic-file.js";

/**
 * API tokens: `keel_<id>_<secret>`. The id is public (it names the token in `tokens list`, the
 * audit log and `tokens revoke`); the secret is 32 random bytes shown once at creation and kept
 * only as a SHA-256. Roles are ordered viewer < operator < admin: reads need viewer, changes
 * operator, token management admin.
 */
const TOKEN_PATTERN = /^keel_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const ADMIN_TOKEN_FILE = "admin.token";
export const ADMIN_TOKEN_NAME = "admin";

export function roleAllows(have: TokenRole, need: TokenRole): boolean {
  return tokenRoles.indexOf(have) >= tokenRoles.indexOf(need);
}

function isTokenRole(value: string): value is TokenRole {
  return (tokenRoles as readonly string[]).includes(value);
}

function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

export interface IssuedToken {
  /** the full token text; shown once, never stored */
  token: string;
  record: TokenRecord;
}

export async function createApiToken(
  store: Store,
  options: { name: string; role: TokenRole; actor: string; now?: number },
): Promise<IssuedToken> {
  if (!NAME_PATTERN.test(options.name))
    throw new KeelError(
      "invalid_input",
      `token name "${options.name}" is not valid: use 1-64 letters, digits, . _ @ - (e.g. ci-reader)`,
      { details: { field: "name" } },
    );
  if (!isTokenRole(options.role))
    throw new KeelError(
      "invalid_input",
      `role "${String(options.role)}" is not one of ${tokenRoles.join(", ")}`,
      { details: { field: "role" } },
    );
  const id = randomBytes(6).toString("hex");
  const secret = randomBytes(32).toString("base64url");
  const record = await store.createToken(
    {
      id,
      name: options.name,
      role: options.role,
      secretHash: hashSecret(secret),
      createdAt: options.now ?? Date.now(),
      createdBy: options.actor,
    },
    { action: AuditAction.tokenCreate },
  );
  return { token: `keel_${id}_${secret}`, record };
}

export function revokeApiToken(
  store: Store,
  id: string,
  actor: string,
  reason?: string,
): Promise<TokenRecord> {
  return store.revokeToken(id, {
    actor,
    at: Date.now(),
    reason,
    audit: { action: AuditAction.tokenRevoke },
  });
}

/**
 * The token a request presents, or null when it is malformed, unknown, revoked or wrong. The hash
 * comparison takes the same time whatever the secret, so timing tells nothing about it.
 */
export async function verifyApiToken(store: Store, text: string): Promise<TokenRecord | null> {
  const match = TOKEN_PATTERN.exec(text);
  if (!match) return null;
  const record = await store.getToken(match[1]!);
  if (!record || record.revokedAt !== null) return null;
  const presented = Buffer.from(hashSecret(match[2]!), "hex");
  const stored = Buffer.from(record.secretHash, "hex");
  return presented.length === stored.length && timingSafeEqual(presented, stored) ? record : null;
}

export function adminTokenPath(home: string): string {
  return join(home, ADMIN_TOKEN_FILE);
}

/** The admin token this machine's CLI uses by itself, or null when the file is missing. */
export function readAdminToken(home: string): string | null {
  try {
    const text = readFileSync(adminTokenPath(home), "utf8").trim();
    return text.length > 0 ? text : null;
  } catch {
    return null;
  }
}

/**
 * At a node's start: makes sure `$KEEL_HOME/admin.token` (mode 0600) holds a live admin token,
 * creating one the first time, or again when the one in the file was revoked or belongs to
 * another store. Returns true when it created one.
 */
export async function ensureAdminToken(store: Store, home: string): Promise<boolean> {
  const existing = readAdminToken(home);
  if (existing && (await verifyApiToken(store, existing))) return false;
  const issued = await createApiToken(store, {
    name: ADMIN_TOKEN_NAME,
    role: "admin",
    actor: "keel",
  });
  writeFileAtomic(adminTokenPath(home), `${issued.token}\n`);
  return true;
}
