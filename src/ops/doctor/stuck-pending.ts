import { readEmergency } from "../../engine/emergency.js";
import type { NodeRecord } from "../../store/records.js";
import type { RunSummary } from "../../store/run-summary.js";
import { age, iso, keelFix } from "./command.js";
import type { DoctorCheck, DoctorContext } from "./types.js";

/** at most this many pending runs are looked at (oldest due first would need an index walk) */
const scanLimit = 1000;

/**
 * Runs due longer than `doctor.pending_max_age_ms` ago and still pending, and why: no node
 * online, the emergency stop, a node that claims nothing (disk guard paused, store damaged), or
 * none of that (the nodes are saturated: see the cpu and disk findings).
 */
export const stuckPendingCheck: DoctorCheck = {
  name: "stuck-pending",
  description: "runs pending long past their due time, and why nothing claims them",
  async run(ctx) {
    if (!ctx.store) return [];
    const page = await ctx.store.listRuns({ status: "pending", limit: scanLimit });
    const cutoff = ctx.now - ctx.settings.pendingMaxAgeMs;
    const stuck = page.runs.filter((r) => r.scheduledFor <= cutoff);
    if (stuck.length === 0) return [];
    const oldest = stuck.reduce((a, b) => (b.scheduledFor < a.scheduledFor ? b : a));
    const { why, commands } = await reason(ctx, await ctx.store.listNodes());
    return [
      {
        check: "stuck-pending",
        severity: "problem",
        summary: `${stuck.length}${page.nextCursor ? "+" : ""} run(s) have been due for over ${age(ctx.settings.pendingMaxAgeMs)} and are still pending (oldest due ${age(ctx.now - oldest.scheduledFor)} ago): ${why}`,
        evidence: {
          runs: stuck.length,
          oldest: { id: oldest.id, pipeline: oldest.pipeline, due_at: iso(oldest.scheduledFor) },
          run_ids: stuck.slice(0, 10).map((r: RunSummary) => r.id),
          by_pipeline: countBy(stuck, (r) => r.pipeline),
        },
        commands: [...commands, keelFix(ctx, "jobs list --status pending")],
      },
    ];
  },
};

async function reason(
  ctx: DoctorContext,
  nodes: NodeRecord[],
): Promise<{ why: string; commands: string[] }> {
  const emergency = await readEmergency(ctx.store!);
  if (emergency.on)
    return {
      why: `the emergency stop is on (${emergency.reason ?? "no reason"})`,
      commands: [keelFix(ctx, "emergency off")],
    };
  const fresh = nodes.filter(
    (n) => n.state === "active" && ctx.now - n.heartbeatAt <= ctx.settings.heartbeatMaxAgeMs,
  );
  if (fresh.length === 0)
    return {
      why: nodes.some((n) => n.state === "draining")
        ? "every node is draining or offline"
        : "no node is online to claim them",
      commands: [keelFix(ctx, "start"), keelFix(ctx, "status")],
    };
  if (ctx.live?.disk?.state === "paused")
    return {
      why: "the disk guard paused claiming (the disk is full)",
      commands: [keelFix(ctx, "doctor --only disk")],
    };
  if (ctx.live?.storage?.state === "damaged")
    return {
      why: "the node found the store damaged and claims nothing",
      commands: [keelFix(ctx, "doctor --only store")],
    };
  return {
    why: `${fresh.length} node(s) online, but they do not keep up (see CPU, breakers and the workers)`,
    commands: [keelFix(ctx, "status --verbose"), keelFix(ctx, "health --verbose")],
  };
}

export function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
}
