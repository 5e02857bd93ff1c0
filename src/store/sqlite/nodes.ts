import type { JsonValue } from "../../core/canonical-json.js";
import type { NodeRecord, NodeState, PipelineRecord } from "../records.js";
import { json, nodeFromRow, type Row } from "../rows.js";
import type { NewNode } from "../store.js";
import type { SqliteContext } from "./context.js";

/** Nodes, the pipelines they serve, and store-wide settings. */
export function registerNode(ctx: SqliteContext, node: NewNode): void {
  // a node id registered again is a new process (a restart with a fixed nodeId): what identifies
  // that process is replaced, or other nodes would judge the new process by the old one's pid
  ctx
    .sql(
      `INSERT INTO nodes (id, host, pid, process_space, process_start, capabilities, state, version, started_at, heartbeat_at)
       VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid,
         process_space = excluded.process_space, process_start = excluded.process_start,
         capabilities = excluded.capabilities, state = 'active', version = excluded.version,
         started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at`,
    )
    .run(
      node.id,
      node.host,
      node.pid,
      node.process?.space ?? null,
      node.process?.start ?? null,
      JSON.stringify(node.capabilities),
      node.version,
      node.now,
      node.now,
    );
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
    for (const p of pipelines) {
      ctx
        .sql(
          `INSERT INTO pipelines (name, version, definition, registered_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET version = excluded.version, definition = excluded.definition, registered_at = excluded.registered_at`,
        )
        .run(p.name, p.version, JSON.stringify(p.steps), p.registeredAt);
    }
  });
}

export function listPipelines(ctx: SqliteContext): PipelineRecord[] {
  return (ctx.sql("SELECT * FROM pipelines ORDER BY name").all() as Row[]).map((row) => ({
    name: row.name as string,
    version: row.version as string,
    steps: json<PipelineRecord["steps"]>(row.definition),
    registeredAt: Number(row.registered_at),
  }));
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
  ctx
    .sql(
      `INSERT INTO settings (key, value, updated_at, updated_by) VALUES (?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
    )
    .run(key, JSON.stringify(value), now, actor);
}
