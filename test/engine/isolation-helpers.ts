// Helpers for tests of isolated steps: the fixture pipelines (plain JavaScript a child process can
// import), whether a pid is still a live process, and the child busy with a given run.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Keel, Pipeline } from "../../src/index.js";
import { until } from "./helpers.js";

export const isolatedFixture = fileURLToPath(
  new URL("./fixtures/isolated-pipelines.mjs", import.meta.url),
);

export type IsolatedFixtures = Record<
  | "isolatedEcho"
  | "isolatedSlow"
  | "isolatedExit"
  | "isolatedStubborn"
  | "isolatedPermanent"
  | "isolatedChain",
  Pipeline
>;

export async function loadIsolatedFixtures(): Promise<IsolatedFixtures> {
  return (await import(isolatedFixture)) as IsolatedFixtures;
}

/** true while `pid` is a process that has not exited (a zombie, exited but not reaped, counts as gone) */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // "pid (comm) S ...": the state follows the command name, which may itself hold spaces
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** the pid of the child process busy with `runId`, once there is one */
export async function busyWorker(k: Keel, runId: string): Promise<number> {
  const worker = await until(() => k.workerProcesses.find((w) => w.busy && w.runId === runId), {
    message: `a worker process busy with run ${runId}`,
  });
  return worker.pid;
}
