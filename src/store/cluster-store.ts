import type { Placement } from "../core/placement.js";
import type { AuditNote } from "./audit.js";
import type { OperatorChange } from "./operator-change.js";
import type { Lease, NodeRecord } from "./records.js";

/**
 * The cluster: join tokens, what a node hears at its heartbeat (drained, token revoked), the
 * operator's drain, undrain and forget, and runs handed on to the nodes that serve their next
 * step. Times a node is judged by come from the store's clock (the database's on PostgreSQL), so
 * a node whose clock is off is judged the same as any other.
 */
export interface NewJoinToken {
  id: string;
  name: string;
  secretHash: string;
  /** what a node joining with it may offer; empty: anything */
  capabilities: string[];
  /** the pools a node joining with it may serve; empty: any */
  pools: string[];
  createdAt: number;
  createdBy: string;
}

export interface JoinTokenRecord extends NewJoinToken {
  lastUsedAt: number | null;
  revokedAt: number | null;
  revokedBy: string | null;
}

/** Every node, and the store clock's time when they were read. */
export interface ClusterView {
  now: number;
  nodes: NodeRecord[];
}

/** What a node learns at its cluster heartbeat. */
export interface NodeBeat {
  /** the store clock's time */
  now: number;
  state: NodeRecord["state"];
  drainDeadline: number | null;
  /** why it may not claim (token_revoked), or null */
  blocked: string | null;
}

/** Runs due and waiting for nodes of one placement. */
export interface PlacedWaiting {
  placement: Placement;
  runs: number;
  /** when the one waiting longest became due */
  oldestDueAt: number;
  /** the ids of up to `sample` of them, the longest waiting first; empty unless asked */
  runIds: string[];
}

export interface ClusterStore {
  clusterView(): Promise<ClusterView>;
  createJoinToken(token: NewJoinToken, audit: AuditNote): Promise<JoinTokenRecord>;
  listJoinTokens(): Promise<JoinTokenRecord[]>;
  /** NotFoundError for an unknown id; revoking twice keeps the first revocation */
  revokeJoinToken(id: string, change: OperatorChange): Promise<JoinTokenRecord>;
  /** the unrevoked token with this secret hash, marked used at `now`; undefined when none */
  useJoinToken(secretHash: string, now: number): Promise<JoinTokenRecord | undefined>;
  /**
   * A node's cluster heartbeat: records that it finished runs since its last (`progressed`), marks
   * it blocked when its join token was revoked, and tells it its state. undefined: it was forgotten.
   */
  nodeBeat(nodeId: string, progressed: boolean, now: number): Promise<NodeBeat | undefined>;
  /** state draining; with `timeoutMs`, its deadline that far ahead on the store clock */
  drainNode(nodeId: string, timeoutMs: number | null, change: OperatorChange): Promise<NodeRecord>;
  undrainNode(nodeId: string, change: OperatorChange): Promise<NodeRecord>;
  /**
   * Removes an offline node's record, its runs back to pending first. NodeOnlineError when it is
   * not offline (drain and stop it first), NotFoundError when unknown.
   */
  forgetNode(
    nodeId: string,
    change: OperatorChange,
  ): Promise<{ node: NodeRecord; released: string[] }>;
  /** running -> pending with the placement of its next step, due at once (fenced) */
  handOffRun(lease: Lease, placement: Placement, now: number): Promise<void>;
  /**
   * due pending runs whose placement is not the default, counted by placement, with the ids of
   * up to `sample` of each (0 by default: a metrics scrape needs only the counts)
   */
  placedWaiting(now: number, sample?: number): Promise<PlacedWaiting[]>;
}
