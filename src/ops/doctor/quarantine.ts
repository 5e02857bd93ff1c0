import type { RunSummary } from "../../store/run-summary.js";
import { keelFix } from "./command.js";
import type { DoctorCheck, Finding } from "./types.js";
import { countBy } from "./stuck-pending.js";

const hourMs = 3_600_000;
const scanLimit = 1000;

/**
 * The quarantine filling: runs quarantined in the last hour, by reason, at or above
 * `doctor.quarantine_burst` for one reason, with the error most of them share (one broken
 * dependency or one bad deploy shows as one error).
 */
export const quarantineCheck: DoctorCheck = {
  name: "quarantine",
  description: "runs quarantined in the last hour, by reason, with the top error",
  async run(ctx) {
    if (!ctx.store) return [];
    const page = await ctx.store.listRuns({ status: "quarantined", limit: scanLimit });
    const recent = page.runs.filter((r) => r.updatedAt >= ctx.now - hourMs);
    const byReason = countBy(recent, (r) => r.quarantineReason ?? "unknown");
    const findings: Finding[] = [];
    for (const [reason, runs] of Object.entries(byReason)) {
      if (runs < ctx.settings.quarantineBurst) continue;
      const ofReason = recent.filter((r) => (r.quarantineReason ?? "unknown") === reason);
      const top = topError(ofReason);
      findings.push({
        check: "quarantine",
        severity: "warning",
        summary: `${runs} run(s) quarantined in the last hour with reason ${reason}${top ? `; ${top.runs} of them failed with ${top.code}: ${top.message}` : ""}`,
        evidence: {
          reason,
          runs,
          by_reason: byReason,
          top_error: top,
          run_ids: ofReason.slice(0, 10).map((r) => r.id),
          by_pipeline: countBy(ofReason, (r) => r.pipeline),
        },
        commands: [
          keelFix(ctx, `quarantine list --reason ${reason}`),
          keelFix(ctx, `quarantine show ${ofReason[0]!.id}`),
          // once the cause is fixed (a dependency back, a deploy rolled back)
          keelFix(ctx, `quarantine retry --filter reason=${reason} --note "cause fixed" --dry-run`),
        ],
      });
    }
    return findings;
  },
};

interface TopError {
  code: string;
  message: string;
  step: string | null;
  runs: number;
}

function topError(runs: readonly RunSummary[]): TopError | null {
  const groups = new Map<string, TopError>();
  for (const r of runs) {
    if (!r.error) continue;
    const code = r.error.code ?? "error";
    const message = (r.error.message ?? "").slice(0, 200);
    const key = `${code}\u0000${message}`;
    const g = groups.get(key) ?? { code, message, step: r.error.step ?? null, runs: 0 };
    g.runs += 1;
    groups.set(key, g);
  }
  return [...groups.values()].sort((a, b) => b.runs - a.runs)[0] ?? null;
}
