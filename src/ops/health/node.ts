import type { DeadNode } from "../../engine/liveness.js";
import type { NodeRecord } from "../../store/records.js";
import type { ComponentHealth } from "./types.js";
import { recentDeathMs } from "./workers.js";

/** The node of this home runs (live pidfile) and heartbeated within this many ms. */
const nodeHeartbeatMaxAgeMs = 5000;

export interface NodeHealthInput {
  /** the live pid of this home's pidfile, or null */
  pid: number | null;
  nodes: readonly NodeRecord[];
  host: string;
  now: number;
  maxAgeMs?: number;
}

/** The store's record of the node this home's pidfile names: same host and pid, newest first. */
export function nodeOfHome(
  pid: number | null,
  nodes: readonly NodeRecord[],
  host: string,
): NodeRecord | undefined {
  if (pid === null) return undefined;
  return nodes
    .filter((n) => n.pid === pid && n.host === host)
    .sort((a, b) => b.startedAt - a.startedAt)[0];
}

export function checkNodeHealth(input: NodeHealthInput): ComponentHealth {
  const maxAgeMs = input.maxAgeMs ?? nodeHeartbeatMaxAgeMs;
  if (input.pid === null)
    return {
      component: "node",
      status: "unhealthy",
      reason: "no keel node is running for this home (start one with `keel start`)",
      details: { pid: null },
    };
  const node = nodeOfHome(input.pid, input.nodes, input.host);
  if (!node)
    return {
      component: "node",
      status: "degraded",
      reason: `pid ${input.pid} runs but has not registered a node in the store yet`,
      details: { pid: input.pid },
    };
  const heartbeatAgeMs = Math.max(0, input.now - node.heartbeatAt);
  const details = { pid: input.pid, nodeId: node.id, state: node.state, heartbeatAgeMs };
  if (heartbeatAgeMs > maxAgeMs)
    return {
      component: "node",
      status: "degraded",
      reason: `node ${node.id} last heartbeated ${(heartbeatAgeMs / 1000).toFixed(1)} s ago (limit ${maxAgeMs / 1000} s)`,
      details,
    };
  if (node.state !== "active")
    return {
      component: "node",
      status: "degraded",
      reason: `node ${node.id} is ${node.state}`,
      details,
    };
  return {
    component: "node",
    status: "healthy",
    reason: `node ${node.id} (pid ${input.pid}) heartbeated ${(heartbeatAgeMs / 1000).toFixed(1)} s ago`,
    details,
  };
}

/**
 * The node answering knows which nodes it declared dead and took runs over from. Like a worker
 * process death (workers.ts), a node death keeps the component degraded for a minute, naming who,
 * why and how many runs went back to pending, so it is seen although keel already recovered; the
 * details list the last ten (`deadNodes`).
 */
export function withDeadNodes(
  health: ComponentHealth,
  deadNodes: readonly DeadNode[] | undefined,
  now: number,
): ComponentHealth {
  if (!deadNodes) return health;
  const details = { ...health.details, deadNodes };
  const last = deadNodes[0];
  if (!last || now - last.declaredAt > recentDeathMs) return { ...health, details };
  const why = { process_gone: "process gone", pid_reused: "pid reused", silent: "no heartbeat" };
  const ago = (Math.max(0, now - last.declaredAt) / 1000).toFixed(1);
  const runs = last.runsReturned === 1 ? "1 run" : `${last.runsReturned} runs`;
  const death = `node ${last.nodeId} (pid ${last.pid}, ${why[last.cause]}) declared dead ${ago} s ago, ${runs} returned to pending`;
  if (health.status !== "healthy")
    return { ...health, reason: `${health.reason}; ${death}`, details };
  return { ...health, status: "degraded", reason: death, details };
}
