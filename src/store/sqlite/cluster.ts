import { NodeOnlineError } from "../../core/errors/cluster-errors.js";
import { NotFoundError } from "../../core/errors/definition-errors.js";
import type { Placement } from "../../core/placement.js";
import type { AuditNote } from "../audit.js";
import {
  createJoinTokenParams,
  createJoinTokenSql,
  drainNodeSql,
  joinTokenFromRow,
  nodeAudit,
  nodeBeatFromRow,
  nodeBeatSql,
  placedWaitingFromRow,
  placedWaitingIdsParams,
  placedWaitingIdsSql,
  placedWaitingSqlFrom,
  revokeJoinTokenSql,
  tokenAudit,
  undrainNodeSql,
  useJoinTokenSql,
} from "../cluster-rows.js";
import type {
  ClusterView,
  JoinTokenRecord,
  NewJoinToken,
  NodeBeat,
  PlacedWaiting,
} from "../cluster-store.js";
import type { OperatorChange } from "../operator-change.js";
import type { Lease, NodeRecord } from "../records.js";
import { nodeFromRow, type Row } from "../rows.js";
import { handOffChange } from "../run-changes.js";
import { insertAudit } from "./audit.js";
import { releaseNodeRuns } from "./claims.js";
import type { SqliteContext } from "./context.js";
import { listNodes } from "./nodes.js";
import { leaveRunning } from "./steps.js";

/** The cluster on one file: every node shares this host's clock, which is the store's. */
export function clusterView(ctx: SqliteContext, now: number): ClusterView {
  return { now, nodes: listNodes(ctx) };
}

export function createJoinToken(
  ctx: SqliteContext,
  token: NewJoinToken,
  note: AuditNote,
): JoinTokenRecord {
  return ctx.write(() => {
    const record = joinTokenFromRow(
      ctx.sql(createJoinTokenSql).get(...createJoinTokenParams(token)) as Row,
    );
    insertAudit(ctx, tokenAudit(record, { at: token.createdAt, actor: token.createdBy }, note));
    return record;
  });
}

export function listJoinTokens(ctx: SqliteContext): JoinTokenRecord[] {
  return (ctx.sql("SELECT * FROM join_tokens ORDER BY created_at, id").all() as Row[]).map(
    joinTokenFromRow,
  );
}

export function revokeJoinToken(
  ctx: SqliteContext,
  id: string,
  change: OperatorChange,
): JoinTokenRecord {
  return ctx.write(() => {
    const row = ctx.sql(revokeJoinTokenSql).get(change.at, change.actor, id) as Row | undefined;
    if (!row) throw new NotFoundError("join token", id, "see keel nodes token list");
    const record = joinTokenFromRow(row);
    if (change.audit) insertAudit(ctx, tokenAudit(record, change, change.audit));
    return record;
  });
}

export function useJoinToken(
  ctx: SqliteContext,
  secretHash: string,
  now: number,
): JoinTokenRecord | undefined {
  return ctx.write(() => {
    const row = ctx.sql(useJoinTokenSql).get(now, secretHash) as Row | undefined;
    return row ? joinTokenFromRow(row) : undefined;
  });
}

export function nodeBeat(
  ctx: SqliteContext,
  nodeId: string,
  progressed: boolean,
  now: number,
): NodeBeat | undefined {
  return ctx.write(() => {
    const row = ctx.sql(nodeBeatSql("?")).get(progressed ? 1 : 0, now, nodeId) as Row | undefined;
    return row ? nodeBeatFromRow(row, now) : undefined;
  });
}

function changeNode(
  ctx: SqliteContext,
  nodeId: string,
  change: OperatorChange,
  sql: string,
  params: unknown[],
): NodeRecord {
  return ctx.write(() => {
    const row = ctx.sql(sql).get(...params) as Row | undefined;
    if (!row) throw new NotFoundError("node", nodeId, "see keel nodes list");
    const node = nodeFromRow(row);
    const entry = nodeAudit(node, change);
    if (entry) insertAudit(ctx, entry);
    return node;
  });
}

export function drainNode(
  ctx: SqliteContext,
  nodeId: string,
  timeoutMs: number | null,
  change: OperatorChange,
): NodeRecord {
  const deadline = timeoutMs === null ? null : change.at + timeoutMs;
  return changeNode(ctx, nodeId, change, drainNodeSql, [deadline, nodeId]);
}

export function undrainNode(
  ctx: SqliteContext,
  nodeId: string,
  change: OperatorChange,
): NodeRecord {
  return changeNode(ctx, nodeId, change, undrainNodeSql, [nodeId]);
}

export function forgetNode(
  ctx: SqliteContext,
  nodeId: string,
  change: OperatorChange,
): { node: NodeRecord; released: string[] } {
  return ctx.write(() => {
    const row = ctx.sql("SELECT * FROM nodes WHERE id = ?").get(nodeId) as Row | undefined;
    if (!row) throw new NotFoundError("node", nodeId, "see keel nodes list");
    const node = nodeFromRow(row);
    if (node.state !== "offline") throw new NodeOnlineError(nodeId, node.state);
    const released = releaseNodeRuns(ctx, nodeId, "node_forgotten", change.at);
    ctx.sql("DELETE FROM nodes WHERE id = ?").run(nodeId);
    const entry = nodeAudit(node, change);
    if (entry)
      insertAudit(ctx, {
        ...entry,
        details: { ...(entry.details as object), released: released.length },
      });
    return { node, released };
  });
}

export function handOffRun(
  ctx: SqliteContext,
  lease: Lease,
  placement: Placement,
  now: number,
): void {
  leaveRunning(ctx, lease, handOffChange(placement, now));
}

/**
 * Without statistics SQLite's planner reads the runs through runs_status and so looks at every
 * pending run (10 ms for 20 000 of them, at every metrics scrape); the partial index holds only
 * the placed ones, usually none.
 */
export const placedWaitingSql = placedWaitingSqlFrom("runs INDEXED BY runs_placed");

export function placedWaiting(ctx: SqliteContext, now: number, sample = 0): PlacedWaiting[] {
  return (ctx.sql(placedWaitingSql).all(now) as Row[]).map((row) => ({
    ...placedWaitingFromRow(row),
    runIds:
      sample > 0
        ? (
            ctx.sql(placedWaitingIdsSql).all(...placedWaitingIdsParams(row, now, sample)) as Row[]
          ).map((r) => r.id as string)
        : [],
  }));
}
