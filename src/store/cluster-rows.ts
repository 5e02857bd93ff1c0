import type { NewAuditEntry, AuditNote } from "./audit.js";
import type { JoinTokenRecord, NewJoinToken, NodeBeat, PlacedWaiting } from "./cluster-store.js";
import type { OperatorChange } from "./operator-change.js";
import type { NodeRecord } from "./records.js";
import { json, num, numOrNull, type Row } from "./rows.js";

/*
 * The cluster's SQL, parameters and audit entries, the same on both backends (sqlite/cluster.ts
 * and postgres/cluster.ts run them). `now` is the backend's SQL for the store clock's time.
 */

export function joinTokenFromRow(row: Row): JoinTokenRecord {
  return {
    id: row.id as string,
    name: row.name as string,
    secretHash: row.secret_hash as string,
    capabilities: json<string[]>(row.capabilities),
    pools: json<string[]>(row.pools),
    createdAt: num(row.created_at),
    createdBy: row.created_by as string,
    lastUsedAt: numOrNull(row.last_used_at),
    revokedAt: numOrNull(row.revoked_at),
    revokedBy: (row.revoked_by as string | null) ?? null,
  };
}

export const createJoinTokenSql = `INSERT INTO join_tokens (id, name, secret_hash, capabilities, pools, created_at, created_by)
  VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *`;

export function createJoinTokenParams(t: NewJoinToken): unknown[] {
  return [
    t.id,
    t.name,
    t.secretHash,
    JSON.stringify(t.capabilities),
    JSON.stringify(t.pools),
    t.createdAt,
    t.createdBy,
  ];
}

export const revokeJoinTokenSql = `UPDATE join_tokens SET revoked_at = coalesce(revoked_at, ?), revoked_by = coalesce(revoked_by, ?)
  WHERE id = ? RETURNING *`;

export const useJoinTokenSql = `UPDATE join_tokens SET last_used_at = ? WHERE secret_hash = ? AND revoked_at IS NULL RETURNING *`;

export function tokenAudit(
  token: JoinTokenRecord,
  change: { at: number; actor: string; reason?: string | null },
  note: AuditNote,
): NewAuditEntry {
  return {
    at: change.at,
    actor: change.actor,
    action: note.action,
    target: token.id,
    reason: change.reason ?? null,
    details: {
      name: token.name,
      capabilities: token.capabilities,
      pools: token.pools,
      ...note.details,
    },
  };
}

export function nodeAudit(node: NodeRecord, change: OperatorChange): NewAuditEntry | null {
  if (!change.audit) return null;
  return {
    at: change.at,
    actor: change.actor,
    action: change.audit.action,
    target: node.id,
    reason: change.reason ?? null,
    details: { host: node.host, pid: node.pid, state: node.state, ...change.audit.details },
  };
}

/**
 * A node's cluster heartbeat. A node whose join token was revoked is blocked from then on (until it
 * registers again with a valid one); `progressed` moves its progress time.
 */
export function nodeBeatSql(now: string): string {
  return `UPDATE nodes SET progress_at = CASE WHEN ? = 1 THEN ${now} ELSE progress_at END,
    blocked = CASE WHEN join_token_id IS NOT NULL AND EXISTS (SELECT 1 FROM join_tokens t
      WHERE t.id = nodes.join_token_id AND t.revoked_at IS NOT NULL) THEN 'token_revoked' ELSE blocked END
  WHERE id = ? RETURNING state, drain_deadline, blocked`;
}

export function nodeBeatFromRow(row: Row, now: number): NodeBeat {
  return {
    now,
    state: row.state as NodeBeat["state"],
    drainDeadline: numOrNull(row.drain_deadline),
    blocked: (row.blocked as string | null) ?? null,
  };
}

export const drainNodeSql = `UPDATE nodes SET state = 'draining', drain_deadline = ? WHERE id = ? RETURNING *`;
export const undrainNodeSql = `UPDATE nodes SET state = 'active', drain_deadline = NULL WHERE id = ? RETURNING *`;

/** due pending runs by placement, read from `runs` or a backend's spelling of it */
export const placedWaitingSqlFrom = (runs: string) => `SELECT requires, pool, count(*) AS runs,
    min(scheduled_for) AS oldest_due_at
  FROM ${runs} WHERE status = 'pending' AND (requires <> '[]' OR pool <> '') AND scheduled_for <= ?
  GROUP BY requires, pool ORDER BY count(*) DESC, requires, pool`;
export const placedWaitingSql = placedWaitingSqlFrom("runs");

/** the longest waiting of one placement's due runs: parameters requires (as stored), pool, now, limit */
export const placedWaitingIdsSql = `SELECT id FROM runs
  WHERE status = 'pending' AND (requires <> '[]' OR pool <> '') AND requires = ? AND pool = ?
    AND scheduled_for <= ?
  ORDER BY scheduled_for, id LIMIT ?`;

export function placedWaitingFromRow(row: Row): PlacedWaiting {
  return {
    placement: { requires: json<string[]>(row.requires), pool: row.pool as string },
    runs: num(row.runs),
    oldestDueAt: num(row.oldest_due_at),
    runIds: [],
  };
}

/** placedWaitingIdsSql's parameters for one placement, as its row stored it */
export function placedWaitingIdsParams(row: Row, now: number, sample: number): unknown[] {
  return [row.requires, row.pool, now, sample];
}
