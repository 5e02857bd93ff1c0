import { hostname } from "node:os";
import { isStuck, readClusterFigures } from "../health/cluster.js";
import { age, iso, keelFix } from "./command.js";
import type { DoctorCheck, Finding } from "./types.js";

const scanLimit = 1000;

/**
 * A node that heartbeats on time and holds runs, yet finished no step for `cluster.stuck_after_ms`
 * while work it could take waits: its steps hang (a call with no timeout, a deadlock) and the
 * heartbeat keeps its leases alive, so nothing else runs them. Draining it with a timeout gives
 * its runs back; restarting it clears whatever hangs.
 */
export const stalledNodesCheck: DoctorCheck = {
  name: "stalled-nodes",
  description: "a node that heartbeats and holds runs but finishes nothing while work waits",
  async run(ctx) {
    if (!ctx.store) return [];
    const figures = await readClusterFigures(ctx.store, ctx.settings.cluster);
    const stalled = figures.nodes.filter((n) => isStuck(n, figures));
    if (stalled.length === 0) return [];
    const running = (await ctx.store.listRuns({ status: "running", limit: scanLimit })).runs;
    const findings: Finding[] = [];
    for (const n of stalled) {
      const held = running.filter((r) => r.nodeId === n.id);
      if (held.length === 0) continue;
      const since = n.progressAt ?? n.startedAt;
      const oldest = held.reduce((a, b) =>
        (b.startedAt ?? b.updatedAt) < (a.startedAt ?? a.updatedAt) ? b : a,
      );
      const ours = n.host === hostname() && n.pid === ctx.pid;
      findings.push({
        check: "stalled-nodes",
        severity: "problem",
        summary: `node ${n.id} (${n.host}, pid ${n.pid}) heartbeats but finished no step for ${age(figures.now - since)} while it holds ${held.length} running run(s) and work waits`,
        evidence: {
          node: n.id,
          host: n.host,
          pid: n.pid,
          heartbeat_at: iso(n.heartbeatAt),
          last_progress_at: iso(n.progressAt),
          started_at: iso(n.startedAt),
          quiet_ms: figures.now - since,
          limit_ms: ctx.settings.cluster.stuckAfterMs,
          runs_held: held.slice(0, 10).map((r) => r.id),
          oldest_due_pending_at: iso(figures.dueAt),
        },
        commands: [
          keelFix(ctx, `jobs show ${oldest.id}`),
          // no new claims; after the timeout its runs are aborted and go back to pending
          keelFix(ctx, `nodes drain ${n.id} --timeout 60s --reason "finishes nothing"`),
          ours
            ? keelFix(ctx, "stop --force")
            : `# on ${n.host}: keel stop --force (or kill ${n.pid}), then keel start`,
          ...(ours ? [keelFix(ctx, "start")] : []),
          keelFix(ctx, `jobs cancel ${oldest.id} --reason "hung on node ${n.id}"`),
        ],
      });
    }
    return findings;
  },
};
