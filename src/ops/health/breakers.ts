import type { BreakerRecord } from "../../store/breakers.js";
import type { Store } from "../../store/store.js";
import type { ComponentHealth } from "./types.js";

/**
 * Breakers: degraded while one is open or half-open (its dependency is down or on trial), with
 * the reason; healthy again once every breaker is closed. Nothing is lost meanwhile: runs wait,
 * or are served by fallbacks.
 */
export function breakerHealth(breakers: readonly BreakerRecord[]): ComponentHealth {
  const notClosed = breakers.filter((b) => b.state !== "closed");
  const details = {
    breakers: breakers.length,
    open: notClosed.map((b) => ({
      name: b.name,
      state: b.state,
      manual: b.manual,
      reason: b.reason,
      openedAt: b.openedAt,
    })),
  };
  if (notClosed.length === 0)
    return {
      component: "breakers",
      status: "healthy",
      reason:
        breakers.length === 0 ? "no breaker recorded yet" : `${breakers.length} breaker(s) closed`,
      details,
    };
  const words = notClosed.map(
    (b) =>
      `${b.name} is ${b.state === "open" ? "open" : "half-open"}${b.reason ? ` (${b.reason})` : ""}`,
  );
  return { component: "breakers", status: "degraded", reason: words.join("; "), details };
}

export async function checkBreakerHealth(store: Store): Promise<ComponentHealth> {
  return breakerHealth(await store.listBreakers());
}
