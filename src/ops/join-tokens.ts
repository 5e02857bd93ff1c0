import { randomBytes } from "node:crypto";
import { InvalidInputError } from "../core/errors/definition-errors.js";
import { namePattern } from "../core/dag.js";
import { hashJoinToken } from "../engine/cluster-join.js";
import { AuditAction } from "../store/audit.js";
import type { JoinTokenRecord, Store } from "../store/store.js";

/**
 * Join tokens: `keel_join_<id>_<secret>`, shown once at creation; the store keeps a SHA-256 of
 * the text. A token may limit what a node joining with it offers (capabilities) and serves (pools).
 */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

export interface IssuedJoinToken {
  /** the token's text: shown once, never stored */
  token: string;
  record: JoinTokenRecord;
}

export async function createJoinToken(
  store: Store,
  options: { name: string; capabilities?: string[]; pools?: string[]; actor: string },
): Promise<IssuedJoinToken> {
  if (!NAME_PATTERN.test(options.name))
    throw new InvalidInputError(
      `join token name "${options.name}" is not valid: use 1-64 letters, digits, . _ @ - (e.g. gpu-pool-a)`,
      { field: "name" },
    );
  const capabilities = checkNames("capabilities", options.capabilities ?? []);
  const pools = checkNames("pools", options.pools ?? []);
  const id = randomBytes(6).toString("hex");
  const token = `keel_join_${id}_${randomBytes(32).toString("base64url")}`;
  const record = await store.createJoinToken(
    {
      id,
      name: options.name,
      secretHash: hashJoinToken(token),
      capabilities,
      pools,
      createdAt: Date.now(),
      createdBy: options.actor,
    },
    { action: AuditAction.joinTokenCreate },
  );
  return { token, record };
}

export function revokeJoinToken(
  store: Store,
  id: string,
  actor: string,
  reason?: string,
): Promise<JoinTokenRecord> {
  return store.revokeJoinToken(id, {
    actor,
    at: Date.now(),
    reason: reason ?? null,
    audit: { action: AuditAction.joinTokenRevoke },
  });
}

function checkNames(field: string, names: string[]): string[] {
  for (const name of names)
    if (!namePattern.test(name))
      throw new InvalidInputError(
        `${field}: ${JSON.stringify(name)} is not a valid name: use 1-64 letters, digits, _ . -`,
        { field },
      );
  return [...new Set(names)].sort();
}
