import { clusterDefaults } from "../engine/cluster-options.js";
import { AuditAction } from "../store/audit.js";
import type { NodeRecord } from "../store/records.js";
import type { ClusterView, Store } from "../store/store.js";

/**
 * The cluster as an operator sees it: every node with its status judged on the store's clock, and
 * the operator's drain, undrain and forget, each audited. Any node's API answers for all of them.
 */
export type ClusterNodeStatus = "online" | "draining" | "offline" | "gone";

export interface ClusterNode extends NodeRecord {
  status: ClusterNodeStatus;
  heartbeatAgeMs: number;
  /** online or draining, but its heartbeat is later than half of offline_after_ms */
  late: boolean;
}

export interface ClusterWindows {
  offlineAfterMs: number;
  goneAfterMs: number;
  stuckAfterMs: number;
}

export const defaultWindows: ClusterWindows = { ...clusterDefaults };

export function judgeNodes(
  view: ClusterView,
  windows: ClusterWindows = defaultWindows,
): ClusterNode[] {
  return view.nodes.map((node) => {
    const heartbeatAgeMs = Math.max(0, view.now - node.heartbeatAt);
    const silent = heartbeatAgeMs > windows.offlineAfterMs;
    const status: ClusterNodeStatus =
      node.state === "offline" || silent
        ? heartbeatAgeMs > windows.goneAfterMs
          ? "gone"
          : "offline"
        : node.state === "draining"
          ? "draining"
          : "online";
    const late =
      (status === "online" || status === "draining") && heartbeatAgeMs > windows.offlineAfterMs / 2;
    return { ...node, status, heartbeatAgeMs, late };
  });
}

export async function listClusterNodes(
  store: Store,
  windows?: ClusterWindows,
): Promise<{ now: number; nodes: ClusterNode[] }> {
  const view = await store.clusterView();
  return { now: view.now, nodes: judgeNodes(view, windows) };
}

export async function showClusterNode(
  store: Store,
  id: string,
  windows?: ClusterWindows,
): Promise<ClusterNode | undefined> {
  return (await listClusterNodes(store, windows)).nodes.find((n) => n.id === id);
}

export function drainClusterNode(
  store: Store,
  id: string,
  timeoutMs: number | null,
  actor: string,
  reason?: string,
): Promise<NodeRecord> {
  return store.drainNode(id, timeoutMs, {
    actor,
    at: Date.now(),
    reason: reason ?? null,
    audit: { action: AuditAction.nodeDrain, details: { timeoutMs } },
  });
}

export function undrainClusterNode(store: Store, id: string, actor: string): Promise<NodeRecord> {
  return store.undrainNode(id, {
    actor,
    at: Date.now(),
    audit: { action: AuditAction.nodeUndrain },
  });
}

/**
 * Forgets an offline node. A node silent past offline_after_ms that no other node marked offline
 * yet (none running to sweep) is marked so first: the operator's word that it is dead.
 */
export async function forgetClusterNode(
  store: Store,
  id: string,
  actor: string,
  windows?: ClusterWindows,
): Promise<{ node: NodeRecord; released: string[] }> {
  const node = await showClusterNode(store, id, windows);
  if (node && node.state !== "offline" && (node.status === "offline" || node.status === "gone"))
    await store.setNodeState(id, "offline", Date.now());
  return store.forgetNode(id, { actor, at: Date.now(), audit: { action: AuditAction.nodeForget } });
}
