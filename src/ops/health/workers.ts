import type { WorkerDeath } from "../../engine/isolation/index.js";
import type { NodeSnapshot } from "../../engine/node-snapshot.js";
import type { ComponentHealth } from "./types.js";

/** A worker process death this recent keeps the workers component degraded. */
export const recentDeathMs = 60_000;

/** What the node answering knows of its workers first-hand (part of its snapshot). */
export type WorkersLive = Partial<
  Pick<NodeSnapshot, "workers" | "busy" | "claimedAhead" | "workerProcesses" | "workerDeaths">
>;

/**
 * The node's workers: how many runs it may run at once and why (CPU pressure shrinks the limit;
 * degraded only while it holds work back, never because every slot is busy),
 * and its isolated-step child processes, degraded for a minute after one dies so the death is
 * seen even though the pool has already replaced it. Without the node's own figures (no node, or
 * its API is off) only whether a node runs can be said.
 */
export function workersHealth(
  live: WorkersLive | undefined,
  nodePid: number | null,
  now: number,
): ComponentHealth {
  if (!live?.workers) {
    if (nodePid === null)
      return {
        component: "workers",
        status: "unhealthy",
        reason: "no keel node is running for this home, so no worker takes runs (`keel start`)",
        details: {},
      };
    return {
      component: "workers",
      status: "healthy",
      reason: `node pid ${nodePid} runs; its worker figures come from its API (\`server.enabled\`)`,
      details: { pid: nodePid },
    };
  }
  const { limit, min, max, adaptive, deferring, pressure } = live.workers;
  const processes = live.workerProcesses ?? [];
  const recent = (live.workerDeaths ?? []).filter((d) => now - d.at < recentDeathMs);
  const details = {
    limit,
    min,
    max,
    adaptive,
    busy: live.busy ?? null,
    claimedAhead: live.claimedAhead ?? null,
    pressure: pressure.active,
    pressureReason: pressure.reason,
    deferring,
    processes: processes.length,
    recentDeaths: recent.map((d) => ({
      pid: d.pid,
      at: d.at,
      signal: d.signal,
      exitCode: d.exitCode,
      killedByKeel: d.killedByKeel,
      runId: d.task?.runId ?? null,
      step: d.task?.step ?? null,
    })),
  };
  const problems: string[] = [];
  const notes: string[] = [];
  // pressure degrades the node only where it holds work back: a lower limit, or runs deferred. A
  // node at its full limit is busy, or saw a spike that changed nothing: healthy, with a note
  if (pressure.active && (limit < max || deferring)) {
    const deferred = deferring
      ? `; runs below priority ${live.workers.deferBelowPriority} wait`
      : "";
    problems.push(
      `CPU pressure: ${limit} of at most ${max} runs in flight (${pressure.reason})${deferred}`,
    );
  } else if (pressure.active)
    notes.push(`; CPU pressure seen (${pressure.reason}), the limit still at its maximum`);
  const last = recent.at(-1);
  if (last) problems.push(describeDeath(last, recent.length, now));
  if (problems.length > 0)
    return { component: "workers", status: "degraded", reason: problems.join("; "), details };
  const ahead = live.claimedAhead ? `${live.claimedAhead} claimed ahead, ` : "";
  const busy = live.busy === undefined ? "" : `${live.busy} busy, ${ahead}`;
  const children = processes.length > 0 ? `, ${processes.length} worker processes` : "";
  return {
    component: "workers",
    status: "healthy",
    reason: `${busy}up to ${limit} runs at once${adaptive ? ` (adaptive, ${min}-${max})` : ""}${children}${notes.join("")}`,
    details,
  };
}

function describeDeath(death: WorkerDeath, count: number, now: number): string {
  const how = death.killedByKeel
    ? "was killed by keel (its step outlived the abort grace)"
    : death.signal
      ? `died of ${death.signal}`
      : `exited with code ${death.exitCode ?? "?"}`;
  const during = death.task ? ` during step ${death.task.step} of run ${death.task.runId}` : "";
  const ago = Math.max(0, Math.round((now - death.at) / 1000));
  const more = count > 1 ? ` (${count} deaths in the last ${recentDeathMs / 1000} s)` : "";
  return `worker process ${death.pid ?? "?"} ${how}${during} ${ago} s ago and was replaced${more}`;
}
