import type { Store } from "../../store/store.js";
import type { ComponentHealth } from "./types.js";

/** a receiver whose oldest delivery failed this many times makes the component degraded */
export const failingAfterAttempts = 3;

/**
 * Alerts: degraded while a webhook receiver keeps failing (its oldest queued delivery failed
 * three times or more: nothing behind it goes out), naming the receiver, its queue and its last
 * error; the rules firing are in the details. Nothing is lost meanwhile: deliveries wait in the
 * store's outbox and go out in order once the receiver answers.
 */
export async function checkAlertHealth(store: Store): Promise<ComponentHealth> {
  let queues;
  let firing;
  try {
    queues = await store.alertQueues();
    firing = (await store.listAlertStates()).filter((s) => s.state === "firing").map((s) => s.rule);
  } catch (error) {
    // a store no node of this version opened yet has no alert tables: nothing was ever queued
    if (/no such table|does not exist/i.test((error as Error).message))
      return { component: "alerts", status: "healthy", reason: "no alert state yet", details: {} };
    throw error;
  }
  const failing = queues.filter((q) => q.head.attempts >= failingAfterAttempts);
  const details = {
    firing,
    queued: queues.reduce((n, q) => n + q.queued, 0),
    receivers: queues.map((q) => ({
      receiver: q.receiver,
      queued: q.queued,
      attempts: q.head.attempts,
      lastError: q.head.lastError,
    })),
  };
  if (failing.length === 0)
    return {
      component: "alerts",
      status: "healthy",
      reason: `${details.queued} deliveries queued; ${firing.length} rule(s) firing`,
      details,
    };
  const named = failing
    .map(
      (q) =>
        `${q.receiver} (${q.queued} queued, ${q.head.attempts} failed attempts: ${q.head.lastError ?? "?"})`,
    )
    .join(", ");
  return {
    component: "alerts",
    status: "degraded",
    reason: `webhook deliveries failing: ${named}; they are kept and retried; see \`keel alerts show webhook_failing\``,
    details,
  };
}
