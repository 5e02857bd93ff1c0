import { age, iso, keelFix } from "./command.js";
import type { DoctorCheck } from "./types.js";

const scanLimit = 1000;

/**
 * Runs running longer than `doctor.running_max_age_ms` (the SLO of one run): a step that hangs
 * without a timeout, a node that holds runs it no longer executes. Cancelling is the operator's
 * call: the commands show the run first.
 */
export const overdueRunningCheck: DoctorCheck = {
  name: "overdue-running",
  description: "runs running longer than doctor.running_max_age_ms",
  async run(ctx) {
    if (!ctx.store) return [];
    const page = await ctx.store.listRuns({ status: "running", limit: scanLimit });
    const cutoff = ctx.now - ctx.settings.runningMaxAgeMs;
    const overdue = page.runs.filter((r) => (r.startedAt ?? r.updatedAt) <= cutoff);
    if (overdue.length === 0) return [];
    const oldest = overdue.reduce((a, b) =>
      (b.startedAt ?? b.updatedAt) < (a.startedAt ?? a.updatedAt) ? b : a,
    );
    const startedAt = oldest.startedAt ?? oldest.updatedAt;
    return [
      {
        check: "overdue-running",
        severity: "warning",
        summary: `${overdue.length} run(s) have been running for over ${age(ctx.settings.runningMaxAgeMs)} (oldest: ${oldest.id}, ${age(ctx.now - startedAt)})`,
        evidence: {
          runs: overdue.length,
          run_ids: overdue.slice(0, 10).map((r) => r.id),
          oldest: {
            id: oldest.id,
            pipeline: oldest.pipeline,
            started_at: iso(startedAt),
            node: oldest.nodeId,
          },
          limit_ms: ctx.settings.runningMaxAgeMs,
        },
        commands: [
          keelFix(ctx, `jobs show ${oldest.id}`),
          keelFix(ctx, `jobs cancel ${oldest.id} --reason "over its SLO"`),
        ],
      },
    ];
  },
};
