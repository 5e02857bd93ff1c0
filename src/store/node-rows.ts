import type { JsonValue } from "../core/canonical-json.js";
import type { NewAuditEntry } from "./audit.js";
import type { SettingChange } from "./operator-change.js";
import type { PipelineRecord } from "./records.js";
import { json, type Row } from "./rows.js";
import type { NewNode } from "./store.js";

/*
 * The writes of nodes, pipelines and settings, the same SQL on both backends (sqlite/nodes.ts and
 * postgres/nodes.ts run them).
 */

/**
 * A node id registered again is a new process (a restart with a fixed nodeId): what identifies
 * that process is replaced, or other nodes would judge the new process by the old one's pid.
 * `now` is the backend's SQL for the heartbeat time (PostgreSQL's lease clock, SQLite's `?`).
 */
export function registerNodeSql(now: string): string {
  return `INSERT INTO nodes (id, host, pid, process_space, process_start, capabilities, state, version, started_at,
    pools, slots, join_token_id, heartbeat_at)
  VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?, ${now})
  ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid,
    process_space = excluded.process_space, process_start = excluded.process_start,
    capabilities = excluded.capabilities, state = 'active', version = excluded.version,
    started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at, pools = excluded.pools,
    slots = excluded.slots, join_token_id = excluded.join_token_id, drain_deadline = NULL,
    progress_at = NULL, blocked = NULL`;
}

/** the parameters before the heartbeat time's */
export function registerNodeParams(node: NewNode): unknown[] {
  return [
    node.id,
    node.host,
    node.pid,
    node.process?.space ?? null,
    node.process?.start ?? null,
    JSON.stringify(node.capabilities),
    node.version,
    node.now,
    JSON.stringify(node.pools ?? {}),
    node.slots ?? 0,
    node.joinTokenId ?? null,
  ];
}

export const registerPipelineSql = `INSERT INTO pipelines (name, version, definition, registered_at) VALUES (?, ?, ?, ?)
  ON CONFLICT (name) DO UPDATE SET version = excluded.version, definition = excluded.definition, registered_at = excluded.registered_at`;

export function pipelineParams(p: PipelineRecord): unknown[] {
  return [p.name, p.version, JSON.stringify(p.steps), p.registeredAt];
}

export function pipelineFromRow(row: Row): PipelineRecord {
  return {
    name: row.name as string,
    version: row.version as string,
    steps: json<PipelineRecord["steps"]>(row.definition),
    registeredAt: Number(row.registered_at),
  };
}

export const setSettingSql = `INSERT INTO settings (key, value, updated_at, updated_by) VALUES (?, ?, ?, ?)
  ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by`;

export function settingParams(
  key: string,
  value: JsonValue,
  actor: string,
  now: number,
): unknown[] {
  return [key, JSON.stringify(value), now, actor];
}

/** a setting's change, audited: the entry may name a target other than the setting's key */
export function settingAudit(key: string, change: SettingChange): NewAuditEntry | null {
  const { actor, at, audit: note } = change;
  if (!note) return null;
  return {
    at,
    actor,
    action: note.action,
    target: note.target ?? key,
    reason: change.reason ?? null,
    details: note.details ?? null,
  };
}
