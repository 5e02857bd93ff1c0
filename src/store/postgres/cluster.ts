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
  placedWaitingSql,
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
import { nodeFromRow } from "../rows.js";
import { handOffChange } from "../run-changes.js";
import { insertAudit } from "./audit.js";
import { releaseNodeRuns } from "./claims.js";
import type { PgConn, PgContext } from "./context.js";
import { listNodes } from "./nodes.js";
import { leaveRunning } from "./steps.js";

/**
 * The cluster on PostgreSQL. Every time a node is judged by is the lease clock's (the database's
 * by default), read in the same statement as what it judges.
 */
async function storeNow(ctx: PgContext, c: PgConn, now: number): Promise<number> {
  const row = await c.get<{ now: string | number }>(
    `SELECT ${ctx.nowSql()} AS now`,
    ctx.nowParams(now),
  );
  return Number(row?.now ?? now);
}

export async function clusterView(ctx: PgContext, c: PgConn, now: number): Promise<ClusterView> {
  const at = await storeNow(ctx, c, now);
  return { now: at, nodes: await listNodes(c) };
}

export async function createJoinToken(
  c: PgConn,
  token: NewJoinToken,
  note: AuditNote,
): Promise<JoinTokenRecord> {
  const record = joinTokenFromRow(
    (await c.get(createJoinTokenSql, createJoinTokenParams(token))) ?? {},
  );
  await insertAudit(c, tokenAudit(record, { at: token.createdAt, actor: token.createdBy }, note));
  return record;
}

export async function listJoinTokens(c: PgConn): Promise<JoinTokenRecord[]> {
  return (await c.all("SELECT * FROM join_tokens ORDER BY created_at, id")).map(joinTokenFromRow);
}

export async function revokeJoinToken(
  c: PgConn,
  id: string,
  change: OperatorChange,
): Promise<JoinTokenRecord> {
  const row = await c.get(revokeJoinTokenSql, [change.at, change.actor, id]);
  if (!row) throw new NotFoundError("join token", id, "see keel nodes token list");
  const record = joinTokenFromRow(row);
  if (change.audit) await insertAudit(c, tokenAudit(record, change, change.audit));
  return record;
}

export async function useJoinToken(
  c: PgConn,
  secretHash: string,
  now: number,
): Promise<JoinTokenRecord | undefined> {
  const row = await c.get(useJoinTokenSql, [now, secretHash]);
  return row ? joinTokenFromRow(row) : undefined;
}

export async function nodeBeat(
  ctx: PgContext,
  c: PgConn,
  nodeId: string,
  progressed: boolean,
  now: number,
): Promise<NodeBeat | undefined> {
  const at = await storeNow(ctx, c, now);
  const row = await c.get(nodeBeatSql("?::bigint"), [progressed ? 1 : 0, at, nodeId]);
  return row ? nodeBeatFromRow(row, at) : undefined;
}

async function changeNode(
  c: PgConn,
  nodeId: string,
  change: OperatorChange,
  sql: string,
  params: unknown[],
): Promise<NodeRecord> {
  const row = await c.get(sql, params);
  if (!row) throw new NotFoundError("node", nodeId, "see keel nodes list");
  const node = nodeFromRow(row);
  const entry = nodeAudit(node, change);
  if (entry) await insertAudit(c, entry);
  return node;
}

export async function drainNode(
  ctx: PgContext,
  c: PgConn,
  nodeId: string,
  timeoutMs: number | null,
  change: OperatorChange,
): Promise<NodeRecord> {
  const deadline = timeoutMs === null ? null : (await storeNow(ctx, c, change.at)) + timeoutMs;
  return changeNode(c, nodeId, change, drainNodeSql, [deadline, nodeId]);
}

export function undrainNode(
  c: PgConn,
  nodeId: string,
  change: OperatorChange,
): Promise<NodeRecord> {
  return changeNode(c, nodeId, change, undrainNodeSql, [nodeId]);
}

export async function forgetNode(
  c: PgConn,
  nodeId: string,
  change: OperatorChange,
): Promise<{ node: NodeRecord; released: string[] }> {
  const row = await c.get("SELECT * FROM nodes WHERE id = ? FOR UPDATE", [nodeId]);
  if (!row) throw new NotFoundError("node", nodeId, "see keel nodes list");
  const node = nodeFromRow(row);
  if (node.state !== "offline") throw new NodeOnlineError(nodeId, node.state);
  const released = await releaseNodeRuns(c, nodeId, "node_forgotten", change.at);
  await c.run("DELETE FROM nodes WHERE id = ?", [nodeId]);
  const entry = nodeAudit(node, change);
  if (entry)
    await insertAudit(c, {
      ...entry,
      details: { ...(entry.details as object), released: released.length },
    });
  return { node, released };
}

export function handOffRun(
  c: PgConn,
  lease: Lease,
  placement: Placement,
  now: number,
): Promise<void> {
  return leaveRunning(c, lease, handOffChange(placement, now));
}

export async function placedWaiting(c: PgConn, now: number, sample = 0): Promise<PlacedWaiting[]> {
  const placed: PlacedWaiting[] = [];
  for (const row of await c.all(placedWaitingSql, [now])) {
    const ids =
      sample > 0 ? await c.all(placedWaitingIdsSql, placedWaitingIdsParams(row, now, sample)) : [];
    placed.push({ ...placedWaitingFromRow(row), runIds: ids.map((r) => r.id as string) });
  }
  return placed;
}
