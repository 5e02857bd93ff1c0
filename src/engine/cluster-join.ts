import { createHash } from "node:crypto";
import { JoinRefusedError } from "../core/errors/cluster-errors.js";
import { AuditAction } from "../store/audit.js";
import type { Store } from "../store/store.js";
import type { ResolvedNodeOptions } from "./options.js";

/**
 * Joining a cluster. A join token is `keel_join_<id>_<secret>`: the store keeps only a SHA-256 of
 * the whole text. On a PostgreSQL store a node joins only with a valid, unrevoked token that grants
 * what it offers; on the single-host SQLite store the file's permissions are the gate, and a token
 * is checked only when one is given.
 */
export const joinTokenPattern = /^keel_join_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export function hashJoinToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** Checks the node's join token; returns its id (null: none given where none is required). */
export async function joinCluster(
  store: Store,
  options: ResolvedNodeOptions,
  version: string,
): Promise<string | null> {
  const token = options.cluster.joinToken;
  if (token === undefined) {
    if (store.backend === "postgres")
      throw new JoinRefusedError(
        "a node joins a PostgreSQL store only with a join token: create one with `keel nodes token create --name NAME` and start the node with --join-token, KEEL_JOIN_TOKEN or cluster.join_token",
      );
    return null;
  }
  if (!joinTokenPattern.test(token))
    throw new JoinRefusedError(
      "the join token is malformed: it looks like keel_join_<12 hex>_<43 characters>, as `keel nodes token create` printed it",
    );
  const now = Date.now();
  const record = await store.useJoinToken(hashJoinToken(token), now);
  if (!record)
    throw new JoinRefusedError(
      "the join token is unknown or revoked: see `keel nodes token list`, and create a new one with `keel nodes token create`",
    );
  const extraCaps = options.capabilities.filter(
    (c) => record.capabilities.length > 0 && !record.capabilities.includes(c),
  );
  const extraPools = Object.keys(options.cluster.pools).filter(
    (p) => record.pools.length > 0 && !record.pools.includes(p),
  );
  if (extraCaps.length > 0 || extraPools.length > 0)
    throw new JoinRefusedError(
      `join token "${record.name}" does not grant ${[
        ...extraCaps.map((c) => `capability ${c}`),
        ...extraPools.map((p) => `pool ${p}`),
      ].join(
        ", ",
      )}: it grants capabilities [${record.capabilities.join(", ")}] and pools [${record.pools.join(", ")}]`,
    );
  await store.appendAudit({
    at: now,
    actor: `node:${options.nodeId}`,
    action: AuditAction.nodeJoin,
    target: options.nodeId,
    reason: null,
    details: {
      token: record.id,
      tokenName: record.name,
      host: options.host,
      pid: options.pid,
      version,
      capabilities: [...options.capabilities],
      pools: { ...options.cluster.pools },
    },
  });
  return record.id;
}
