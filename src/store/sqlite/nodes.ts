import type { JsonValue } from "../../core/canonical-json.js";
import type { NodeRecord, NodeState, PipelineRecord } from "../records.js";
import { json, nodeFromRow, type Row } from "../rows.js";
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
import type { SqliteContext } from "./context.js";

/** Nodes, the pipelines they serve, and store-wide settings. */
export function registerNode(ctx: SqliteContext, node: NewNode): void {
  // a node id registered again is a new process (a restart with a fixed nodeId): what identifies
  // that process is replaced, or other nodes would judge the new process by the old one's pid
  ctx.sql(registerNodeSql("?")).run(...registerNodeParams(node), node.now);
}

export function setNodeState(
  ctx: SqliteContext,
  nodeId: string,
  state: NodeState,
  now: number,
): void {
  ctx
    .sql("UPDATE nodes SET state = ?, heartbeat_at = max(heartbeat_at, ?) WHERE id = ?")
    .run(state, now, nodeId);
}

export function listNodes(ctx: SqliteContext): NodeRecord[] {
  return (ctx.sql("SELECT * FROM nodes ORDER BY started_at").all() as Row[]).map(nodeFromRow);
}

export function registerPipelines(ctx: SqliteContext, pipelines: PipelineRecord[]): void {
  ctx.write(() => {
    const insert = ctx.sql(registerPipelineSql);
    for (const p of pipelines) insert.run(...pipelineParams(p));
  });
}

export function listPipelines(ctx: SqliteContext): PipelineRecord[] {
  return (ctx.sql("SELECT * FROM pipelines ORDER BY name").all() as Row[]).map(pipelineFromRow);
}

export function getSetting(ctx: SqliteContext, key: string): JsonValue | undefined {
  const row = ctx.sql("SELECT value FROM settings WHERE key = ?").get(key) as
    { value: string } | undefined;
  return row ? json(row.value) : undefined;
}

export function setSetting(
  ctx: SqliteContext,
  key: string,
  value: JsonValue,
  actor: string,
  now: number,
): void {
  ctx.sql(setSettingSql).run(...settingParams(key, value, actor, now));
}
