import type { JsonValue } from "../../core/canonical-json.js";
import type { NodeRecord, NodeState, PipelineRecord } from "../records.js";
import { json, nodeFromRow } from "../rows.js";
import {
  pipelineFromRow,
  pipelineParams,
  registerNodeParams,
  registerNodeSql,
  registerPipelineSql,
  setSettingSql,
  settingParams,
} from "../node-rows.js";
import type { NewNode } from "../store.js";
import type { PgConn, PgContext } from "./context.js";

/** Nodes, the pipelines they serve, and store-wide settings. */
export async function registerNode(ctx: PgContext, c: PgConn, node: NewNode): Promise<void> {
  // a node id registered again is a new process: what identifies that process is replaced.
  // heartbeat_at is on the lease clock, like every later heartbeat
  await c.run(registerNodeSql(ctx.nowSql()), [
    ...registerNodeParams(node),
    ...ctx.nowParams(node.now),
  ]);
}

export async function setNodeState(
  ctx: PgContext,
  c: PgConn,
  nodeId: string,
  state: NodeState,
  now: number,
): Promise<void> {
  await c.run(
    `UPDATE nodes SET state = ?, heartbeat_at = greatest(heartbeat_at, ${ctx.nowSql()}) WHERE id = ?`,
    [state, ...ctx.nowParams(now), nodeId],
  );
}

export async function listNodes(c: PgConn): Promise<NodeRecord[]> {
  return (await c.all("SELECT * FROM nodes ORDER BY started_at")).map(nodeFromRow);
}

export async function registerPipelines(c: PgConn, pipelines: PipelineRecord[]): Promise<void> {
  for (const p of pipelines) await c.run(registerPipelineSql, pipelineParams(p));
}

export async function listPipelines(c: PgConn): Promise<PipelineRecord[]> {
  return (await c.all("SELECT * FROM pipelines ORDER BY name")).map(pipelineFromRow);
}

export async function getSetting(c: PgConn, key: string): Promise<JsonValue | undefined> {
  const row = await c.get<{ value: string }>("SELECT value FROM settings WHERE key = ?", [key]);
  return row ? json(row.value) : undefined;
}

export async function setSetting(
  c: PgConn,
  key: string,
  value: JsonValue,
  actor: string,
  now: number,
): Promise<void> {
  await c.run(setSettingSql, settingParams(key, value, actor, now));
}
