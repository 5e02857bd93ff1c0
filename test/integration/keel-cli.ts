import { spawnSync } from "node:child_process";
import { expect } from "vitest";
import { keelBin } from "./node-process.js";

/** The CLI as a user runs it: a subprocess on a given home, its stdout, stderr and exit code. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cliEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  // KEEL_STORE from the caller's shell must not point these commands at another store
  return { ...process.env, KEEL_LOG_LEVEL: "warn", KEEL_STORE: "", ...env };
}

export function keelCli(home: string, args: string[], env: Record<string, string> = {}): CliResult {
  const result = spawnSync(process.execPath, [keelBin, "--home", home, ...args], {
    env: cliEnv(env),
    encoding: "utf8",
    timeout: 60_000,
    cwd: home,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs a command that must succeed, with `--format json`; returns the parsed document. */
export function keelJson(home: string, args: string[], env: Record<string, string> = {}) {
  const result = keelCli(home, [...args, "--format", "json"], env);
  expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(0);
  return JSON.parse(result.stdout);
}
