import { existsSync, statSync } from "node:fs";
import { hostname } from "node:os";
import type { RunStatus } from "../core/status.js";
import type { NodeRecord } from "../store/records.js";
import { storeLocation } from "../store/home.js";
import { inspectStoreFile } from "../store/files.js";
import { nodeOfHome } from "./health/node.js";
import { oldestDueAt } from "./health/queue.js";
import { readLivePid } from "./pidfile.js";

/** `keel status`: this home's node, the nodes and runs the store knows, read-only. */
export interface NodeSummary {
  id: string;
  host: string;
  pid: number;
  state: string;
  version: string;
  startedAt: number;
  heartbeatAt: number;
  heartbeatAgeMs: number;
  capabilities: string[];
}

export interface StatusReport {
  home: string;
  node: {
    running: boolean;
    pid: number | null;
    nodeId: string | null;
    uptimeMs: number | null;
  };
  /** "ok", or why the store could not be read ("missing", "corrupt: ...") */
  store: { file: string; state: string; bytes: number | null };
  nodes: NodeSummary[];
  runs: Partial<Record<RunStatus, number>>;
  pipelines: { name: string; version: string; steps: number }[];
  /** epoch ms at which the oldest pending run became due, or null */
  oldestDueAt: number | null;
}

/**
 * An offline node is left out of `keel status` once its last heartbeat is this old: nodes that
 * stopped or died long ago (every restart is a new node id) would otherwise fill the list. The
 * record stays in the store; `keel nodes forget` removes it.
 */
export const offlineNodeShownMs = 3_600_000;

function expired(node: NodeRecord, now: number): boolean {
  return node.state === "offline" && now - node.heartbeatAt > offlineNodeShownMs;
}

export async function readStatus(home: string, now: number = Date.now()): Promise<StatusReport> {
  const pid = readLivePid(home);
  // KEEL_STORE, when set, names the file the node uses: the one to look at
  const file = storeLocation(home);
  const state = inspectStoreFile(file);
  const report: StatusReport = {
    home,
    node: { running: pid !== null, pid, nodeId: null, uptimeMs: null },
    store: {
      file,
      state: state.kind === "corrupt" ? `corrupt: ${state.reason}` : state.kind,
      bytes: state.kind === "ok" ? storeBytes(file) : null,
    },
    nodes: [],
    runs: {},
    pipelines: [],
    oldestDueAt: null,
  };
  if (state.kind !== "ok") return report;
  // loaded here, not with the module: a CLI asking a running node for its status never opens it
  const { openStore } = await import("../store/open-store.js");
  const store = openStore({ home, readonly: true });
  try {
    const nodes = await store.listNodes();
    report.nodes = nodes
      .filter((n) => !expired(n, now))
      .map((n) => ({
        id: n.id,
        host: n.host,
        pid: n.pid,
        state: n.state,
        version: n.version,
        startedAt: n.startedAt,
        heartbeatAt: n.heartbeatAt,
        heartbeatAgeMs: Math.max(0, now - n.heartbeatAt),
        capabilities: n.capabilities,
      }));
    const own = nodeOfHome(pid, nodes, hostname());
    if (own) {
      report.node.nodeId = own.id;
      report.node.uptimeMs = Math.max(0, now - own.startedAt);
    }
    report.runs = await store.countRunsByStatus();
    report.pipelines = (await store.listPipelines()).map((p) => ({
      name: p.name,
      version: p.version,
      steps: p.steps.length,
    }));
    report.oldestDueAt = await oldestDueAt(store);
  } finally {
    await store.close();
  }
  return report;
}

function storeBytes(file: string): number | null {
  if (!existsSync(file)) return null; // a PostgreSQL store has no file
  let bytes = statSync(file).size;
  try {
    bytes += statSync(`${file}-wal`).size;
  } catch {
    // no write-ahead log
  }
  return bytes;
}
