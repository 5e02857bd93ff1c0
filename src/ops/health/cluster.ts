import { describePlacement, placementServed } from "../../core/placement.js";
import type { PlacedWaiting, Store } from "../../store/store.js";
import { startServingArgs, unservedPlacements } from "../capability-demand.js";
import { judgeNodes, type ClusterNode, type ClusterWindows } from "../cluster.js";
import { oldestDueAt } from "./queue.js";
import type { ComponentHealth } from "./types.js";

/**
 * The cluster: nodes online, draining, offline and gone; a heartbeat running late; a node kept
 * from claiming (its join token revoked); capacity per capability; runs waiting for a capability
 * no live node offers; a node that heartbeats but finishes nothing while work it could take waits.
 * Each problem comes with the command that fixes it.
 */
export interface ClusterFigures {
  nodes: ClusterNode[];
  placed: PlacedWaiting[];
  /** when the oldest due pending run became due, or null */
  dueAt: number | null;
  now: number;
  windows: ClusterWindows;
}

export async function readClusterFigures(
  store: Store,
  windows: ClusterWindows,
): Promise<ClusterFigures> {
  const view = await store.clusterView();
  return {
    nodes: judgeNodes(view, windows),
    placed: await store.placedWaiting(Date.now()),
    dueAt: await oldestDueAt(store),
    now: view.now,
    windows,
  };
}

/** slots of live, claiming nodes per capability ("" for every node's default) and per pool */
export function capacity(nodes: readonly ClusterNode[]): {
  capabilities: Record<string, number>;
  pools: Record<string, number>;
} {
  const capabilities: Record<string, number> = {};
  const pools: Record<string, number> = {};
  for (const n of nodes) {
    if (n.status !== "online" || n.blocked) continue;
    for (const c of n.capabilities) capabilities[c] = (capabilities[c] ?? 0) + n.slots;
    for (const [p, slots] of Object.entries(n.pools)) pools[p] = (pools[p] ?? 0) + slots;
  }
  return { capabilities, pools };
}

export function clusterHealth(f: ClusterFigures): ComponentHealth {
  const claiming = f.nodes.filter((n) => n.status === "online" && !n.blocked);
  const count = (s: ClusterNode["status"]) => f.nodes.filter((n) => n.status === s).length;
  const problems: string[] = [];
  const notes: string[] = [];
  const unserved = unservedPlacements(f.placed, f.nodes);
  for (const w of unserved)
    problems.push(
      `no live node offers ${describePlacement(w.placement)}; ${w.runs} run(s) wait: start one with \`keel ${startServingArgs(w.placement)}\``,
    );
  for (const n of f.nodes) {
    if (n.blocked === "token_revoked" && n.status !== "offline" && n.status !== "gone")
      problems.push(
        `node ${n.id} claims nothing: its join token was revoked; restart it with a new one (\`keel nodes token create --name NAME\`) or stop it`,
      );
    else if (n.late)
      problems.push(
        `node ${n.id} heartbeat is ${Math.round(n.heartbeatAgeMs / 100) / 10} s late (offline after ${f.windows.offlineAfterMs / 1000} s): look at its host's load, or \`keel nodes drain ${n.id}\``,
      );
    else if (isStuck(n, f))
      problems.push(
        `node ${n.id} heartbeats but finished no step for ${Math.round((f.now - (n.progressAt ?? n.startedAt)) / 1000)} s while work waits for it: \`keel nodes drain ${n.id} --timeout 60s\`, then restart it`,
      );
    if (n.status === "draining")
      notes.push(`node ${n.id} is draining (\`keel nodes undrain ${n.id}\` reverses it)`);
    if (n.status === "gone") notes.push(`node ${n.id} is gone: \`keel nodes forget ${n.id}\``);
  }
  const waiting = f.dueAt !== null && f.dueAt <= f.now;
  const noneOnline = f.nodes.length > 0 && claiming.length === 0;
  if (noneOnline && waiting)
    problems.unshift(
      "no node online claims work while runs wait: start one (`keel start`), or undrain one (`keel nodes undrain ID`)",
    );
  const { capabilities, pools } = capacity(f.nodes);
  const details = {
    online: count("online"),
    draining: count("draining"),
    offline: count("offline"),
    gone: count("gone"),
    late: f.nodes.filter((n) => n.late).map((n) => n.id),
    blocked: f.nodes.filter((n) => n.blocked).map((n) => n.id),
    capacity: capabilities,
    pools,
    waitingForCapability: f.placed.map((w) => ({
      placement: describePlacement(w.placement),
      runs: w.runs,
      served: !unserved.includes(w),
    })),
  };
  const summary = `${details.online} node(s) online, ${details.draining} draining, ${details.offline} offline${details.gone ? `, ${details.gone} gone` : ""}`;
  const status = noneOnline && waiting ? "unhealthy" : problems.length > 0 ? "degraded" : "healthy";
  return {
    component: "cluster",
    status,
    reason: [problems.length > 0 ? problems.join("; ") : summary, ...notes].join("; "),
    details,
  };
}

/** online, claiming, nothing finished for stuck_after_ms, while work it could take waits as long */
export function isStuck(n: ClusterNode, f: ClusterFigures): boolean {
  if (n.status !== "online" || n.blocked) return false;
  const quietMs = f.now - (n.progressAt ?? n.startedAt);
  if (quietMs < f.windows.stuckAfterMs) return false;
  const placedForIt = f.placed.some((w) =>
    placementServed(w.placement, n.capabilities, Object.keys(n.pools)),
  );
  const plainWaiting = f.dueAt !== null && f.now - f.dueAt >= f.windows.stuckAfterMs;
  return placedForIt || plainWaiting;
}
