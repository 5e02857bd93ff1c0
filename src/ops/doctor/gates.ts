import { age, iso, keelFix } from "./command.js";
import type { DoctorCheck } from "./types.js";

/** the human wait past which a gate is a finding: the reference runbook's warning threshold */
export const gateWaitWarnMs = 24 * 3_600_000;

/**
 * Runs waiting at an approval gate for a person longer than a day, by pipeline and gate. Only a
 * person can decide, so there is no fix: the commands list them and decide one.
 */
export const gatesCheck: DoctorCheck = {
  name: "gates",
  description: "runs waiting at an approval gate for a person for over 24 h",
  async run(ctx) {
    if (!ctx.store) return [];
    const open = await ctx.store.countOpenGates();
    return open
      .filter((g) => ctx.now - g.oldestOpenedAt > gateWaitWarnMs)
      .map((g) => ({
        check: "gates",
        severity: "warning" as const,
        summary: `${g.runs} run(s) of ${g.pipeline} wait at approval gate ${g.gate}, the oldest for ${age(ctx.now - g.oldestOpenedAt)}: a person must approve or reject them (the gate's timeout decides otherwise)`,
        evidence: {
          pipeline: g.pipeline,
          gate: g.gate,
          runs: g.runs,
          oldest_opened_at: iso(g.oldestOpenedAt),
        },
        commands: [
          keelFix(ctx, `gates list --pipeline ${g.pipeline}`),
          keelFix(ctx, `gates approve RUN ${g.gate} --note "what was checked"`),
        ],
      }));
  },
};
