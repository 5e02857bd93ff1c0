import type { Store } from "../../store/store.js";
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
): ComponentHealth {
  const waitingMs = dueAt === null ? 0 : Math.max(0, now - dueAt);
  const details = { oldestDueAt: dueAt, waitingMs, maxWaitMs };
  if (waitingMs >= maxWaitMs)
    return {
      component: "queue",
      status: "degraded",
      reason: `the oldest due run has waited ${Math.round(waitingMs / 1000)} s (limit ${maxWaitMs / 1000} s)`,
      details,
    };
  return {
    component: "queue",
    status: "healthy",
    reason:
      dueAt === null || dueAt > now
        ? "no run is waiting"
        : `the oldest due run has waited ${Math.round(waitingMs / 1000)} s`,
    details,
  };
}

export async function checkQueueHealth(
  store: Store,
  now: number,
  maxWaitMs: number = queueMaxWaitMs,
): Promise<ComponentHealth> {
  return queueHealth(await oldestDueAt(store), now, maxWaitMs);
}
