import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "./atomic-file.js";

/**
 * `$KEEL_HOME/keel.pid`: who runs the node of this home. A pidfile whose process is gone is stale
 * and ignored (a SIGKILLed node cannot remove its own).
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
    return pid;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM" ? pid : null;
  }
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
