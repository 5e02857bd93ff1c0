import { readFileSync, readlinkSync } from "node:fs";
import type { NodeRecord, ProcessIdentity } from "../store/records.js";

/**
 * Is another node's process still running? Asked of the kernel, never of the store, so a node can
 * ask often. A pid names one process only until it exits: later, another process may get it. Where
 * /proc can tell (Linux), a node records its boot id and pid namespace (`space`) and its start time
 * in clock ticks since boot (`start`); a peer in the same space then knows the process exactly. A
 * node in another space (another machine, another container) is judged by its heartbeat only.
 */
export type ProcessVerdict = "alive" | "process_gone" | "pid_reused";

/** This process's identity; null where /proc cannot tell it (not Linux, /proc not mounted). */
export function ownProcessIdentity(): ProcessIdentity | null {
  return processIdentity("self");
}

/** The identity of a process in this process's pid namespace (tests give it to fake nodes). */
export function processIdentity(pid: number | "self"): ProcessIdentity | null {
  const space = ownPidSpace();
  const stat = readStat(pid);
  return space === null || stat === null ? null : { space, start: stat.start };
}

function ownPidSpace(): string | null {
  try {
    const boot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    // "pid:[4026531836]": the namespace this process's pid belongs to
    return `${boot}/${readlinkSync("/proc/self/ns/pid")}`;
  } catch {
    return null;
  }
}

export interface OwnProcess {
  host: string;
  process: ProcessIdentity | null;
}

/**
 * `node`'s process, judged from this one; `elsewhere` when its pid is not this process's to look
 * up. Where both recorded a pid space, the spaces must match (two containers may share a host name
 * but not their pids); where either could not, the host names must (the rule before nodes
 * recorded it), and the pid alone is checked.
 */
export function judgeNode(
  node: Pick<NodeRecord, "host" | "pid" | "process">,
  own: OwnProcess,
): ProcessVerdict | "elsewhere" {
  // another host identity (cluster.host_id) is another host, whatever the kernel says: across
  // hosts only heartbeats count, so no same-host shortcut hides what a real second host would see
  if (node.host !== own.host) return "elsewhere";
  if (node.process && own.process)
    return node.process.space === own.process.space
      ? judgeProcess(node.pid, node.process)
      : "elsewhere";
  return node.host === own.host ? judgeProcess(node.pid, null) : "elsewhere";
}

/** true while `pid` runs: a zombie (exited, its status not yet read by its parent) does not. */
export function processRuns(pid: number): boolean {
  return judgeProcess(pid, null) === "alive";
}

/** `identity`, when known: a live process that started at another time holds a reused pid. */
function judgeProcess(pid: number, identity: ProcessIdentity | null): ProcessVerdict {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to another user
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return "process_gone";
  }
  const stat = readStat(pid);
  // unreadable (no /proc, or hidden from this user): the pid exists, which is all we can know
  if (stat === null) return "alive";
  // a zombie has exited and only waits for its parent to read its status
  if (stat.state === "Z" || stat.state === "X") return "process_gone";
  if (identity !== null && identity.start !== stat.start) return "pid_reused";
  return "alive";
}

function readStat(pid: number | "self"): { state: string; start: number } | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so fields are counted from
  // the last ")"; state is field 3, starttime field 22
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const start = Number(fields[19]);
  return fields[0] && Number.isInteger(start) ? { state: fields[0], start } : null;
}
