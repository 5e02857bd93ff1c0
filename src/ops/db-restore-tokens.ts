import { openStore } from "../store/open-store.js";
import type { TokenRecord } from "../store/tokens.js";
import { writeFileAtomic } from "./atomic-file.js";
import {
  ADMIN_TOKEN_NAME,
  adminTokenPath,
  createApiToken,
  readAdminToken,
  revokeApiToken,
  verifyApiToken,
} from "./tokens.js";

/**
 * The API tokens a restored store brings along. A backup holds its store's tokens (hashed), so a
 * store restored into a new home keeps every token of the old one valid, its admin token among
 * them: whoever still holds that file's token can use the new node's API. Restore says so, and
 * `--rotate-admin-token` revokes the restored admin tokens and writes a new one for this home.
 */
export interface RestoredTokens {
  /** live tokens in the restored store */
  live: number;
  /** live admin tokens named "admin" that this home's admin.token is not */
  foreignAdmin: { id: string; createdAt: number }[];
  /** ids revoked by the rotation */
  revoked: string[];
  /** the new admin token's id, when rotated */
  rotatedTo: string | null;
}

export async function restoredTokens(
  home: string,
  options: { rotate: boolean; actor: string },
): Promise<RestoredTokens> {
  const store = openStore({ home });
  try {
    const own = readAdminToken(home);
    const ownRecord = own ? await verifyApiToken(store, own) : null;
    const live = (await store.listTokens()).filter((t) => t.revokedAt === null);
    const admins = live.filter((t) => isAdminFile(t) && t.id !== ownRecord?.id);
    const result: RestoredTokens = {
      live: live.length,
      foreignAdmin: admins.map((t) => ({ id: t.id, createdAt: t.createdAt })),
      revoked: [],
      rotatedTo: null,
    };
    if (!options.rotate) return result;
    const reason = "admin token rotated at restore";
    for (const t of live.filter(isAdminFile)) {
      await revokeApiToken(store, t.id, options.actor, reason);
      result.revoked.push(t.id);
    }
    const issued = await createApiToken(store, {
      name: ADMIN_TOKEN_NAME,
      role: "admin",
      actor: options.actor,
    });
    writeFileAtomic(adminTokenPath(home), `${issued.token}\n`);
    return { ...result, foreignAdmin: [], rotatedTo: issued.record.id };
  } finally {
    await store.close();
  }
}

/** the token keel itself writes to admin.token (name "admin", role admin) */
function isAdminFile(t: TokenRecord): boolean {
  return t.name === ADMIN_TOKEN_NAME && t.role === "admin";
}
