import { readEmergency } from "../../engine/emergency.js";
import { age, iso, keelFix } from "./command.js";
import type { DoctorCheck } from "./types.js";

/** The store-wide emergency stop is on: no node starts a step until someone turns it off. */
export const emergencyCheck: DoctorCheck = {
  name: "emergency",
  description: "the emergency stop is on: no node starts a step",
  async run(ctx) {
    if (!ctx.store) return [];
    const state = await readEmergency(ctx.store);
    if (!state.on) return [];
    const counts = await ctx.store.countRunsByStatus();
    const since = state.at === null ? "" : ` for ${age(ctx.now - state.at)}`;
    return [
      {
        check: "emergency",
        severity: "problem",
        summary: `the emergency stop is on${since} (by ${state.actor ?? "unknown"}: ${state.reason ?? "no reason"}); no node starts a step, ${counts.pending} run(s) wait`,
        evidence: {
          since: iso(state.at),
          actor: state.actor,
          reason: state.reason,
          abort: state.abort,
          pending: counts.pending,
        },
        commands: [keelFix(ctx, "emergency status"), keelFix(ctx, "emergency off")],
      },
    ];
  },
};
