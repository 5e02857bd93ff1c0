import { hostname } from "node:os";
import { age, iso, keelFix } from "./command.js";
import type { DoctorCheck, Finding } from "./types.js";

/**
 * A node the store still counts as active whose heartbeat is late: frozen (SIGSTOP, a swapped-out
 * machine), or dead without a goodbye. Its runs come back by themselves once its lease expires
 * (another node on the same host sees a dead pid at once); a frozen node holds them until then.
 */
export const nodesCheck: DoctorCheck = {
  name: "nodes",
  description: "a node whose heartbeat is late",
  async run(ctx) {
    if (!ctx.store) return [];
    const nodes = await ctx.store.listNodes();
    const late = nodes.filter(
      (n) => n.state !== "offline" && ctx.now - n.heartbeatAt > ctx.settings.heartbeatMaxAgeMs,
    );
    if (late.length === 0) return [];
    const running = (await ctx.store.listRuns({ status: "running", limit: 1000 })).runs;
    return late.map((n): Finding => {
      const held = running.filter((r) => r.nodeId === n.id).map((r) => r.id);
      const here = n.host === hostname();
      const ours = here && n.pid === ctx.pid;
      return {
        check: "nodes",
        severity: "problem",
        summary: `node ${n.id} (${n.host}, pid ${n.pid}) last heartbeated ${age(ctx.now - n.heartbeatAt)} ago and holds ${held.length} run(s)`,
        evidence: {
          node: n.id,
          host: n.host,
          pid: n.pid,
          state: n.state,
          heartbeat_at: iso(n.heartbeatAt),
          limit_ms: ctx.settings.heartbeatMaxAgeMs,
          runs_held: held.slice(0, 10),
        },
        commands: here
          ? [
              `ps -o pid,stat,etime,cmd -p ${n.pid}`,
              // a stopped process (state T) resumes; one that does not answer is stopped for good
              `kill -CONT ${n.pid}`,
              ours ? keelFix(ctx, "stop --force") : `kill -9 ${n.pid}`,
            ]
          : [`# on ${n.host}: check process ${n.pid}; its runs return when its lease expires`],
      };
    });
  },
};
