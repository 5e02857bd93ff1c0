import { fork } from "node:child_process";
import { existsSync } from "node:fs";
import { setPriority } from "node:os";
import { fileURLToPath } from "node:url";
import { ReplayUnavailableError } from "../../core/errors/golden-errors.js";
import { childExecArgv } from "../../engine/isolation/child-entry.js";
import type { FromSandbox, SandboxAnswer, SandboxJob } from "./sandbox-protocol.js";

/**
 * Forks the replay sandbox (sandbox-child.ts) for one job and waits for its answer. A child that
 * hangs past `timeoutMs` is killed: a verify reports, it never holds a node. `nice` lowers the
 * child's CPU priority (a shadow's background replays yield to the node's own steps); `signal`
 * kills it (a node stopping).
 */
export interface SandboxOptions {
  nice?: number;
  signal?: AbortSignal;
}

export function runSandbox(
  job: SandboxJob,
  timeoutMs: number,
  options: SandboxOptions = {},
): Promise<SandboxAnswer> {
  const entry = sandboxEntry();
  return new Promise((resolve, reject) => {
    const child = fork(entry, [], {
      execArgv: childExecArgv(),
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    let stderr = "";
    let answered = false;
    if (options.nice !== undefined && child.pid !== undefined)
      try {
        setPriority(child.pid, options.nice);
      } catch {
        /* a priority the system refuses leaves the child at the node's */
      }
    const abort = (): void => {
      child.kill("SIGKILL");
      fail("the replay sandbox was stopped: the node is stopping");
    };
    if (options.signal?.aborted) queueMicrotask(abort);
    else options.signal?.addEventListener("abort", abort, { once: true });
    child.stderr?.on("data", (chunk: Buffer) => {
      if (stderr.length < 4000) stderr += chunk.toString();
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(`the replay sandbox gave no answer within ${timeoutMs} ms and was killed`);
    }, timeoutMs);
    const fail = (message: string): void => {
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", abort);
      reject(new ReplayUnavailableError(message, { module: job.module, pipeline: job.pipeline }));
    };
    child.on("message", (message: FromSandbox) => {
      if (message.type === "failed") return fail(`the replay sandbox failed: ${message.message}`);
      answered = true;
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", abort);
      resolve(message.answer);
    });
    child.on("error", (error) => fail(`the replay sandbox did not start: ${error.message}`));
    child.on("exit", (code, signal) => {
      if (!answered)
        fail(
          `the replay sandbox exited (${signal ?? `code ${code}`}) before answering${stderr ? `: ${stderr.trim().slice(0, 500)}` : ""}`,
        );
    });
    child.send(job);
  });
}

/** sandbox-child.js next to this file once compiled; from the sources, the compiled one in dist/ */
function sandboxEntry(): string {
  const here = fileURLToPath(import.meta.url);
  const entry = here.endsWith(".ts")
    ? fileURLToPath(new URL("../../../dist/src/ops/verify/sandbox-child.js", import.meta.url))
    : fileURLToPath(new URL("./sandbox-child.js", import.meta.url));
  if (!existsSync(entry))
    throw new ReplayUnavailableError(
      `the replay sandbox ${entry} is missing; build keel (npm run build)`,
      { entry },
    );
  return entry;
}
