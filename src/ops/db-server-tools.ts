import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { KeelError } from "../core/errors/keel-error.js";
import { StoreError } from "../core/errors/store-errors.js";
import type { ToolCommand } from "../store/files.js";
import type { Store } from "../store/store.js";

/**
 * The server's own tools (pg_dump, pg_restore) run for `keel db` on a PostgreSQL store, and the
 * check that no node works on the store while it is replaced. A tool that is not installed is
 * refused with `tool_missing` and the exact command, so the operator can run it where it is.
 */
export function onPath(tool: string): boolean {
  return (process.env.PATH ?? "").split(delimiter).some((dir) => {
    try {
      accessSync(join(dir || ".", tool), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export function requireTool(cmd: ToolCommand, what: string): void {
  if (!onPath(cmd.tool))
    throw new KeelError(
      "tool_missing",
      `${cmd.tool} is not on PATH, so keel cannot ${what}. Install PostgreSQL's client tools (Debian: apt-get install postgresql-client, the same major version as the server or newer), or run it yourself: ${cmd.display}`,
      { details: { tool: cmd.tool, command: cmd.display } },
    );
}

/** Runs the tool to its end; its stdout, or a store_error with its stderr. */
export async function runTool(cmd: ToolCommand, what: string): Promise<string> {
  requireTool(cmd, what);
  const child = spawn(cmd.tool, cmd.args, {
    env: { ...process.env, ...cmd.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", resolve);
  });
  if (code !== 0)
    throw new StoreError(
      "store_error",
      `${cmd.tool} failed (exit ${code}) to ${what}: ${stderr.trim().slice(-2000) || "no message"}. The command was: ${cmd.display}`,
    );
  return stdout;
}

/** a node that heartbeated this recently may still be working on the store */
const liveWindowMs = 60_000;

/**
 * Restore and rebuild --apply on a shared store must not run under a node on any host: a node
 * is live when it is not offline and heartbeated within a minute.
 */
export async function assertNoLiveNode(store: Store, what: string, now: number): Promise<void> {
  const live = (await store.listNodes()).filter(
    (n) => n.state !== "offline" && now - n.heartbeatAt < liveWindowMs,
  );
  const first = live[0];
  if (first)
    throw new KeelError(
      "node_running",
      `${live.length} node${live.length === 1 ? "" : "s"} work on this store (${first.id} on ${first.host}, pid ${first.pid}, heartbeat ${Math.max(0, Math.round((now - first.heartbeatAt) / 1000))} s ago); stop every node (\`keel stop\` on each host) before ${what}`,
      { details: { nodes: live.map((n) => n.id) } },
    );
}
