import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { expect } from "vitest";
import { keelBin } from "./node-process.js";

/** The CLI as a user runs it: a subprocess on a given home, its stdout, stderr and exit code. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function cliEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  // KEEL_STORE from the caller's shell must not point these commands at another store
  return { ...process.env, KEEL_LOG_LEVEL: "warn", KEEL_STORE: "", ...env };
}

/** `bin`: another build's bin/keel.js (a rolling upgrade's newer keel) */
export function keelCli(
  home: string,
  args: string[],
  env: Record<string, string> = {},
  bin: string = keelBin,
): CliResult {
  const result = spawnSync(process.execPath, [bin, "--home", home, ...args], {
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

let joinTokens = 0;
/**
 * A join token, which a node needs to join a PostgreSQL store (docs/cluster.md), made through the
 * CLI on the store `env` names; it migrates the schema first when it is new.
 */
export function joinToken(home: string, env: Record<string, string>): string {
  const created = keelJson(
    home,
    ["nodes", "token", "create", "--name", `test-${process.pid}-${++joinTokens}`],
    env,
  ) as { token: string };
  return created.token;
}

/** A CLI command that keeps running (`events tail --follow`), with its output so far. */
export interface RunningCli {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  /** resolves once stdout or stderr (as chosen) matches, rejects after timeoutMs */
  waitFor(stream: "stdout" | "stderr", pattern: RegExp, timeoutMs?: number): Promise<void>;
}

export function spawnKeelCli(
  home: string,
  args: string[],
  env: Record<string, string> = {},
): RunningCli {
  const child = spawn(process.execPath, [keelBin, "--home", home, ...args], {
    env: cliEnv(env),
    cwd: home,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const out = { stdout: "", stderr: "" };
  child.stdout?.on("data", (chunk: Buffer) => (out.stdout += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (out.stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
  return {
    child,
    stdout: () => out.stdout,
    stderr: () => out.stderr,
    exited,
    async waitFor(stream, pattern, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(out[stream])) {
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(
            `${args.join(" ")}: ${stream} never matched ${pattern}\nstdout: ${out.stdout}\nstderr: ${out.stderr}`,
          );
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}
