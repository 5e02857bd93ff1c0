import { placementServed } from "../core/placement.js";
import type { Keel } from "../engine/keel.js";
import type { PlacedWaiting, Store } from "../store/store.js";
import {
  defaultWindows,
  listClusterNodes,
  type ClusterNode,
  type ClusterWindows,
} from "./cluster.js";

/**
 * Runs that wait for a placement (capabilities, a pool) no live node serves: no node online and
 * claiming (not draining, not offline, its join token not revoked) offers every capability the
 * run's next step requires and its pool. Health, the `capability_unserved` alert and the doctor
 * judge it here, from one store read, so they agree.
 */
export interface CapabilityDemand {
  /** the store clock's time of the read */
  now: number;
  unserved: PlacedWaiting[];
}

/** the placements of `placed` that none of `nodes` (judged) serves now */
export function unservedPlacements(
  placed: readonly PlacedWaiting[],
  nodes: readonly ClusterNode[],
): PlacedWaiting[] {
  const claiming = nodes.filter((n) => n.status === "online" && !n.blocked);
  return placed.filter(
    (w) =>
      !claiming.some((n) => placementServed(w.placement, n.capabilities, Object.keys(n.pools))),
  );
}

/** reads the nodes and the placed runs due now, with up to `sample` run ids per placement */
export async function readCapabilityDemand(
  store: Store,
  windows: ClusterWindows = defaultWindows,
  sample = 0,
): Promise<CapabilityDemand> {
  const { now, nodes } = await listClusterNodes(store, windows);
  const placed = await store.placedWaiting(now, sample);
  return { now, unserved: unservedPlacements(placed, nodes) };
}

/** the demand as a node sees it, judged with its own cluster windows */
export function nodeCapabilityDemand(keel: Keel): () => Promise<CapabilityDemand> {
  return () => readCapabilityDemand(keel.store, keel.snapshot()?.cluster ?? defaultWindows);
}

/** the arguments of `keel start` for a node serving `placement` */
export function startServingArgs(placement: PlacedWaiting["placement"]): string {
  const flags = [
    placement.requires.length > 0 ? `--capabilities ${placement.requires.join(",")}` : "",
    placement.pool ? `--slots ${placement.pool}=N` : "",
  ].filter(Boolean);
  return ["start", ...flags].join(" ");
}
