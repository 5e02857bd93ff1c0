import { InvalidInputError } from "../core/errors/definition-errors.js";
import { namePattern } from "../core/dag.js";
import { checkWhole } from "./option-checks.js";

/**
 * A node's place in a cluster: who it says it is, the token it joins with, the pools whose slots
 * it serves, and how long a silent node is offline, then gone. Checked once, frozen.
 */
export interface ClusterSettings {
  /**
   * this node's host identity (default: the host name). Nodes of one host identity judge each
   * other by pid as well as heartbeats; nodes of different ones by heartbeats only
   */
  hostId?: string;
  /** the join token (`keel nodes token create`); required on a PostgreSQL store */
  joinToken?: string;
  /** the slots of each named pool this node serves, e.g. { gpu: 2 } */
  pools?: Record<string, number>;
  /** a node silent this long is offline and its runs go back to pending (default: leaseMs) */
  offlineAfterMs?: number;
  /** an offline node silent this long is `gone`: `keel nodes forget` removes it (default 10 min) */
  goneAfterMs?: number;
  /** a node that finished no step this long while runs it could take wait is `stuck` (default 2 min) */
  stuckAfterMs?: number;
}

export interface ResolvedClusterSettings {
  readonly hostId: string | undefined;
  readonly joinToken: string | undefined;
  readonly pools: Readonly<Record<string, number>>;
  readonly offlineAfterMs: number;
  readonly goneAfterMs: number;
  readonly stuckAfterMs: number;
}

export const clusterDefaults = {
  offlineAfterMs: 5000,
  goneAfterMs: 600_000,
  stuckAfterMs: 120_000,
} as const;

export function resolveClusterSettings(
  given: ClusterSettings = {},
  leaseMs: number = clusterDefaults.offlineAfterMs,
): ResolvedClusterSettings {
  const resolved = {
    hostId: given.hostId,
    joinToken: given.joinToken,
    pools: Object.freeze({ ...(given.pools ?? {}) }),
    offlineAfterMs: given.offlineAfterMs ?? leaseMs,
    goneAfterMs: given.goneAfterMs ?? clusterDefaults.goneAfterMs,
    stuckAfterMs: given.stuckAfterMs ?? clusterDefaults.stuckAfterMs,
  };
  if (resolved.hostId !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/.test(resolved.hostId))
    throw new InvalidInputError(
      `cluster.hostId ${JSON.stringify(resolved.hostId)} is not valid: use 1-128 letters, digits, _ . : -`,
      { field: "cluster.hostId" },
    );
  for (const [pool, slots] of Object.entries(resolved.pools)) {
    if (!namePattern.test(pool))
      throw new InvalidInputError(
        `cluster.pools: pool name ${JSON.stringify(pool)} is not valid: use 1-64 letters, digits, _ . -`,
        { field: "cluster.pools" },
      );
    checkWhole(`cluster.pools.${pool}`, slots, 1, 10_000);
  }
  checkWhole("cluster.offlineAfterMs", resolved.offlineAfterMs, 1, 86_400_000);
  checkWhole("cluster.goneAfterMs", resolved.goneAfterMs, 1, 30 * 86_400_000);
  checkWhole("cluster.stuckAfterMs", resolved.stuckAfterMs, 1, 86_400_000);
  if (resolved.goneAfterMs < resolved.offlineAfterMs)
    throw new InvalidInputError(
      `cluster.goneAfterMs (${resolved.goneAfterMs}) must be at least cluster.offlineAfterMs (${resolved.offlineAfterMs})`,
      { field: "cluster.goneAfterMs" },
    );
  return Object.freeze(resolved);
}
