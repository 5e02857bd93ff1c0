import { KeelError } from "../core/errors/keel-error.js";

/**
 * A node whose API does not answer in time: stopped (`kill -STOP`, a debugger), swapping, or
 * stuck on a hung disk. Its pid is alive, so the pidfile alone cannot tell; only the wait can.
 * Read-only commands then show the store instead (and say so), since waiting forever helps
 * nobody in an incident; commands that change something refuse, since only the node may.
 */
export interface Unanswered {
  pid: number;
  url: string;
  waitedMs: number;
}

export function isTimeout(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === "TimeoutError";
}

export function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

/** what read-only commands print on stderr before they show the store instead */
export function unansweredWarning(u: Unanswered): string {
  return `warning: the node (pid ${u.pid}) does not answer its API at ${u.url} (no answer in ${seconds(u.waitedMs)}); showing what the store holds, without the node's live figures\n`;
}

export function unansweredError(u: Unanswered, what: string): KeelError {
  return new KeelError(
    "node_unresponsive",
    `the node (pid ${u.pid}) did not answer ${what} at ${u.url} within ${seconds(u.waitedMs)}; it may be frozen (kill -STOP, a debugger) or overloaded. If it resumes, the request may still be applied: check before sending it again. To stop a frozen node, run \`keel stop --force\`, or \`kill -CONT ${u.pid}\` then \`kill ${u.pid}\` (\`kill -9 ${u.pid}\` as a last resort); its runs return to pending. A longer wait: --api-timeout <ms> or KEEL_CLI_API_TIMEOUT_MS.`,
    { details: { pid: u.pid, url: u.url, waited_ms: u.waitedMs } },
  );
}

/** the node component of `keel health` when the node did not answer: unhealthy, whatever the store says */
export function unansweredNodeReason(u: Unanswered): string {
  return `pid ${u.pid} does not answer its API for ${seconds(u.waitedMs)} (frozen or overloaded); \`keel stop --force\` stops it`;
}
