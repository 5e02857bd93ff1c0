import type { JsonValue } from "../../core/canonical-json.js";
import type { NodeRecord, NodeState, PipelineRecord } from "../records.js";
import { json, nodeFromRow } from "../rows.js";
import type { NewNode } from "../store.js";
import type { PgConn, PgContext } from "./context.js";

/** Nodes, the pipelines they serve, and store-wide settings. */
export async function registerNode(ctx: PgContext, c: PgConn, node: NewNode): Promise<void> {
  // a node id registered again is a new process: what identifies that process is replaced.
  // heartbeat_at is on the lease clock, like every later heartbeat
  await c.run(
    `INSERT INTO nodes (id, host, pid, process_space, process_start, capabilities, state, version, started_at, heartbeat_at)
     VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?, ${ctx.nowSql()})
     ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid,
       process_space = excluded.process_space, process_start = excluded.process_start,
       capabilities = excluded.capabilities, state = 'active', version = excluded.version,
       started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at`,
    [
      node.id,
      node.host,
      node.pid,
      node.process?.space ?? null,
      node.process?.start ?? null,
      JSON.stringify(node.capabilities),
      node.version,
      node.now,
      ...ctx.nowParams(node.now),
    ],
  );
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
  for (const p of pipelines)
    await c.run(
      `INSERT INTO pipelines (name, version, definition, registered_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET version = excluded.version, definition = excluded.definition, registered_at = excluded.registered_at`,
      [p.name, p.version, JSON.stringify(p.steps), p.registeredAt],
    );
}

export async function listPipelines(c: PgConn): Promise<PipelineRecord[]> {
  return (await c.all("SELECT * FROM pipelines ORDER BY name")).map((row) => ({
    name: row.name as string,
    version: row.version as string,
    steps: json<PipelineRecord["steps"]>(row.definition),
    registeredAt: Number(row.registered_at),
  }));
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
  await c.run(
    `INSERT INTO settings (key, value, updated_at, updated_by) VALUES (?, ?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
    [key, JSON.stringify(value), now, actor],
  );
}
