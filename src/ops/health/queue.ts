import { readEmergency, type EmergencyState } from "../../engine/emergency.js";
import type { Store } from "../../store/store.js";
import { describeStop } from "./emergency.js";
import type { ComponentHealth } from "./types.js";

/** The oldest due pending run may wait this long before the queue is degraded. */
const queueMaxWaitMs = 60_000;

/** When the oldest pending run of a registered pipeline became due, or null when none waits. */
export async function oldestDueAt(store: Store): Promise<number | null> {
  const pipelines = [...new Set((await store.listPipelines()).map((p) => p.name))];
  return pipelines.length === 0 ? null : store.nextDueAt(pipelines);
}

export function queueHealth(
  dueAt: number | null,
  now: number,
  maxWaitMs: number = queueMaxWaitMs,
  emergency?: EmergencyState,
): ComponentHealth {
  const waitingMs = dueAt === null ? 0 : Math.max(0, now - dueAt);
  const details = {
    oldestDueAt: dueAt,
    waitingMs,
    maxWaitMs,
    emergencyStop: emergency?.on ?? false,
  };
  const waiting = dueAt !== null && dueAt <= now;
  // runs that wait because the operator stopped everything must say so, not look like a slow node
  const cause =
    waiting && emergency?.on
      ? `: they wait because the emergency stop is on (${describeStop(emergency, now)})`
      : "";
  if (waitingMs >= maxWaitMs)
    return {
      component: "queue",
      status: "degraded",
      reason: `the oldest due run has waited ${Math.round(waitingMs / 1000)} s (limit ${maxWaitMs / 1000} s)${cause}`,
      details,
    };
  return {
    component: "queue",
    status: "healthy",
    reason: !waiting
      ? "no run is waiting"
      : `the oldest due run has waited ${Math.round(waitingMs / 1000)} s${cause}`,
    details,
  };
}

export async function checkQueueHealth(
  store: Store,
  now: number,
  maxWaitMs: number = queueMaxWaitMs,
): Promise<ComponentHealth> {
  return queueHealth(await oldestDueAt(store), now, maxWaitMs, await readEmergency(store));
}
