import { readFileSync, readlinkSync, realpathSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { writeFileAtomic } from "./atomic-file.js";

/**
 * `$KEEL_HOME/keel.pid`: who runs the node of this home. A pidfile whose process is gone is stale
 * and ignored (a SIGKILLed node cannot remove its own). Where /proc exists, a zombie (a killed
 * node its parent has not reaped yet) and a pid reused by another program, or by the node of
 * another home, count as gone too: else a restart right after a crash is refused for nothing.
 */
function pidfilePath(home: string): string {
  return join(home, "keel.pid");
}

export function readLivePid(home: string): number | null {
  let text: string;
  try {
    text = readFileSync(pidfilePath(home), "utf8");
  } catch {
    return null;
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return null;
  }
  return procSaysDead(pid, home) ? null : pid;
}

/** true when /proc shows the pid is a zombie or not `keel start` for this home; false if unsure */
function procSaysDead(pid: number, home: string): boolean {
  let stat: string;
  let argv: string[];
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  } catch (error) {
    // no /proc (macOS), or the process ended since the signal check
    return (error as NodeJS.ErrnoException).code === "ENOENT" && process.platform === "linux";
  }
  // "pid (comm) S ...": comm may hold spaces and parentheses, the state follows the last ")"
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  if (state === "Z" || state === "X") return true;
  // a zombie's cmdline is empty; any other process that is not `keel ... start` (or `keel demo
  // --serve`, a node serving the console) is a reused pid
  const isKeel =
    argv.some((a) => /keel/i.test(a)) && (argv.includes("start") || argv.includes("demo"));
  if (!isKeel) return true;
  const named = homeArgument(argv);
  if (named === null) return false;
  let cwd = "/";
  try {
    cwd = readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return false; // cannot tell which home a relative --home means
  }
  return realPath(resolve(cwd, named)) !== realPath(resolve(home));
}

/** a symlinked home is the same home */
function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function homeArgument(argv: string[]): string | null {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--home") return argv[i + 1] ?? null;
    if (arg.startsWith("--home=")) return arg.slice("--home=".length);
  }
  return null;
}

export function writePidfile(home: string, pid: number = process.pid): void {
  writeFileAtomic(pidfilePath(home), `${pid}\n`);
}

export function removePidfile(home: string, pid: number = process.pid): void {
  try {
    if (Number(readFileSync(pidfilePath(home), "utf8").trim()) === pid) rmSync(pidfilePath(home));
  } catch {
    // already gone
  }
}
