import { age, iso, keelFix } from "./command.js";
import type { DoctorCheck, Finding } from "./types.js";

/**
 * Sources that create nothing: paused (with who and why), ticks overdue (no node ticks them), or
 * a tick or directory scan failing on the node answering.
 */
export const sourcesCheck: DoctorCheck = {
  name: "sources",
  description: "a source paused, its ticks late, or its ticks failing",
  async run(ctx) {
    if (!ctx.store) return [];
    const findings: Finding[] = [];
    const problems = new Map((ctx.live?.sourceProblems ?? []).map((p) => [p.source, p]));
    for (const s of await ctx.store.listSources()) {
      const failing = problems.get(s.name);
      if (s.paused)
        findings.push({
          check: "sources",
          severity: "warning",
          summary: `source ${s.name} is paused${s.pausedAt ? ` for ${age(ctx.now - s.pausedAt)}` : ""} (by ${s.pausedBy ?? "unknown"}: ${s.pauseReason ?? "no reason"}); it creates no run`,
          evidence: {
            source: s.name,
            paused_by: s.pausedBy,
            reason: s.pauseReason,
            paused_at: iso(s.pausedAt),
          },
          commands: [keelFix(ctx, `sources resume ${s.name}`)],
        });
      else if (failing)
        findings.push({
          check: "sources",
          severity: "problem",
          summary: `source ${s.name} fails to tick: ${failing.error}`,
          evidence: { source: s.name, error: failing.error, at: iso(failing.at) },
          commands: [keelFix(ctx, "sources list"), keelFix(ctx, `sources trigger ${s.name}`)],
        });
      else if (s.nextTickAt !== null && ctx.now - s.nextTickAt > ctx.settings.tickLateMs)
        findings.push({
          check: "sources",
          severity: "problem",
          summary: `source ${s.name}'s tick due ${age(ctx.now - s.nextTickAt)} ago has not happened: no node ticks it`,
          evidence: {
            source: s.name,
            next_tick_at: iso(s.nextTickAt),
            last_tick_at: iso(s.lastTickAt),
          },
          commands: [keelFix(ctx, "status"), keelFix(ctx, "start")],
        });
    }
    return findings;
  },
};
