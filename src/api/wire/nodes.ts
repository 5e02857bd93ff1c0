import * as z from "zod";
import type { ClusterNode } from "../../ops/cluster.js";
import type { JoinTokenRecord } from "../../store/store.js";
import { isoTime, maybeTimeSchema, timeSchema } from "./time.js";

/** A node as the cluster sees it, judged on the store's clock (`keel nodes list|show`, /v1/nodes). */
export function nodeJson(n: ClusterNode) {
  return {
    id: n.id,
    host: n.host,
    pid: n.pid,
    version: n.version,
    status: n.status,
    state: n.state,
    capabilities: n.capabilities,
    pools: n.pools,
    slots: n.slots,
    started_at: isoTime(n.startedAt) as string,
    heartbeat_at: isoTime(n.heartbeatAt) as string,
    heartbeat_age_ms: n.heartbeatAgeMs,
    late: n.late,
    blocked: n.blocked,
    drain_deadline: isoTime(n.drainDeadline),
    last_progress_at: isoTime(n.progressAt),
    join_token: n.joinTokenId,
  };
}

export const nodeSchema = z.strictObject({
  id: z.string(),
  host: z.string(),
  pid: z.number(),
  version: z.string(),
  status: z.enum(["online", "draining", "offline", "gone"]),
  state: z.enum(["active", "draining", "offline"]),
  capabilities: z.array(z.string()),
  pools: z.record(z.string(), z.number()),
  slots: z.number(),
  started_at: timeSchema,
  heartbeat_at: timeSchema,
  heartbeat_age_ms: z.number(),
  late: z.boolean(),
  blocked: z.string().nullable(),
  drain_deadline: maybeTimeSchema,
  last_progress_at: maybeTimeSchema,
  join_token: z.string().nullable(),
});
export const nodeListSchema = z.strictObject({ now: timeSchema, nodes: z.array(nodeSchema) });
export const forgottenNodeSchema = z.strictObject({
  id: z.string(),
  host: z.string(),
  runs_released: z.number(),
});

/** A join token as an admin sees it: never its secret (only `token` at creation, once). */
export function joinTokenJson(t: JoinTokenRecord) {
  return {
    id: t.id,
    name: t.name,
    capabilities: t.capabilities,
    pools: t.pools,
    created_at: isoTime(t.createdAt) as string,
    created_by: t.createdBy,
    last_used_at: isoTime(t.lastUsedAt),
    revoked: t.revokedAt !== null,
    revoked_at: isoTime(t.revokedAt),
    revoked_by: t.revokedBy,
  };
}

const joinTokenShape = {
  id: z.string(),
  name: z.string(),
  capabilities: z.array(z.string()),
  pools: z.array(z.string()),
  created_at: timeSchema,
  created_by: z.string(),
  last_used_at: maybeTimeSchema,
  revoked: z.boolean(),
  revoked_at: maybeTimeSchema,
  revoked_by: z.string().nullable(),
};
export const joinTokenSchema = z.strictObject(joinTokenShape);
export const joinTokenListSchema = z.strictObject({ tokens: z.array(joinTokenSchema) });
export const createdJoinTokenSchema = z.strictObject({ ...joinTokenShape, token: z.string() });
