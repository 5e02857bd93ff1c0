import { spawnSync } from "node:child_process";
import { keelBin } from "./node-process.js";

/** The CLI as a user runs it: a subprocess on a given home, its stdout, stderr and exit code. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function keelCli(home: string, args: string[], env: Record<string, string> = {}): CliResult {
  const result = spawnSync(process.execPath, [keelBin, "--home", home, ...args], {
    // KEEL_STORE from the caller's shell must not point these commands at another store
    env: { ...process.env, KEEL_LOG_LEVEL: "warn", KEEL_STORE: "", ...env },
    encoding: "utf8",
    timeout: 60_000,
    cwd: home,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
