import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach } from "vitest";

/** A real `keel start --foreground` child process on a given home, for crash tests. */
export const keelBin = fileURLToPath(new URL("../../bin/keel.js", import.meta.url));

export function writeConfig(home: string, modules: string[], extra = ""): string {
  const file = join(home, "keel.yaml");
  writeFileSync(
    file,
    `pipelines:\n${modules.map((m) => `  - ${JSON.stringify(m)}`).join("\n")}\n${extra}`,
  );
  return file;
}

export interface NodeProcess {
  child: ChildProcess;
  /** resolves once the node printed its "running" line */
  ready: Promise<void>;
  exited: Promise<number | null>;
  output: () => string;
}

/**
 * `options.prefix`: a command the node runs under (`ip netns exec NAME`).
 * `options.cgroupProcs`: a cgroup's `cgroup.procs` the node joins before its first instruction
 * (a shell writes its own pid there, then execs node), for tests that put it under a CPU quota.
 */
export function startNode(
  home: string,
  config: string,
  env: Record<string, string> = {},
  options: { cgroupProcs?: string; prefix?: string[] } = {},
): NodeProcess {
  const args = [keelBin, "start", "--foreground", "--home", home, "--config", config];
  const [command, argv] = options.cgroupProcs
    ? ["sh", ["-c", 'echo $$ > "$0" && exec "$@"', options.cgroupProcs, process.execPath, ...args]]
    : options.prefix?.length
      ? // e.g. ["ip", "netns", "exec", NAME]: the node runs in a network namespace
        [options.prefix[0] as string, [...options.prefix.slice(1), process.execPath, ...args]]
      : [process.execPath, args];
  const child = spawn(command, argv, {
    env: { ...process.env, KEEL_LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes(" running [")) resolve();
    });
    child.stderr?.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.once("exit", (code, signal) =>
      reject(new Error(`node exited before it was ready (code ${code}, signal ${signal}): ${out}`)),
    );
  });
  ready.catch(() => undefined);
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
  return { child, ready, exited, output: () => out };
}

/** The nodes a test file starts: any still running after a test is SIGKILLed (none outlives it). */
export function useNodes(): NodeProcess[] {
  const children: NodeProcess[] = [];
  afterEach(() => {
    for (const node of children.splice(0))
      if (node.child.exitCode === null && node.child.signalCode === null)
        node.child.kill("SIGKILL");
  });
  return children;
}
