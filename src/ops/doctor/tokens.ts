import { age, iso, keelFix } from "./command.js";
import type { DoctorCheck } from "./types.js";

const dayMs = 86_400_000;

/**
 * Admin tokens older than `doctor.token_max_age_days` that are still valid: a rotation is due. A
 * token is rotated by creating its successor, moving callers to it, then revoking the old one.
 */
export const tokensCheck: DoctorCheck = {
  name: "tokens",
  description: "an admin token older than doctor.token_max_age_days, never rotated",
  async run(ctx) {
    if (!ctx.store) return [];
    const limitMs = ctx.settings.tokenMaxAgeDays * dayMs;
    const old = (await ctx.store.listTokens()).filter(
      (t) => t.role === "admin" && t.revokedAt === null && ctx.now - t.createdAt > limitMs,
    );
    return old.map((t) => ({
      check: "tokens",
      severity: "warning" as const,
      summary: `admin token ${t.name} (${t.id}) is ${age(ctx.now - t.createdAt)} old and was never rotated (limit ${ctx.settings.tokenMaxAgeDays} d)`,
      evidence: {
        id: t.id,
        name: t.name,
        created_at: iso(t.createdAt),
        created_by: t.createdBy,
        last_used_at: iso(t.lastUsedAt),
      },
      commands: [
        keelFix(ctx, `tokens create --role admin --name ${t.name}-next`),
        keelFix(ctx, `tokens revoke ${t.id}`),
      ],
    }));
  },
};
