import type { BreakerRecord } from "../../store/breakers.js";
import type { Store } from "../../store/store.js";
import type { ComponentHealth } from "./types.js";

/**
 * Breakers: degraded while one is open, or half-open with no answer from its dependency yet (a
 * trial in flight), with the reason; healthy once every breaker is closed. A half-open breaker
 * whose dependency answered since (its probe succeeded, or a trial did) only waits for trial
 * requests, which come with traffic: healthy, with a note, so an idle node is not left degraded
 * by it. Nothing is lost meanwhile: runs wait, or are served by fallbacks.
 */
export function breakerHealth(
  breakers: readonly BreakerRecord[],
  probed: ReadonlySet<string> = new Set(),
): ComponentHealth {
  const notClosed = breakers.filter((b) => b.state !== "closed");
  const answered = notClosed.filter((b) => b.state === "half_open" && answeredSince(b, probed));
  const down = notClosed.filter((b) => !answered.includes(b));
  const details = {
    breakers: breakers.length,
    open: notClosed.map((b) => ({
      name: b.name,
      state: b.state,
      manual: b.manual,
      reason: b.reason,
      openedAt: b.openedAt,
      ...(b.state === "half_open" ? { answered: answered.includes(b) } : {}),
    })),
  };
  const notes = answered.map((b) => trialNote(b, probed));
  if (down.length === 0) {
    const closed = breakers.length - notClosed.length;
    const summary =
      breakers.length === 0 ? "no breaker recorded yet" : `${closed} breaker(s) closed`;
    return {
      component: "breakers",
      status: "healthy",
      reason: [summary, ...notes].join("; "),
      details,
    };
  }
  const words = down.map(
    (b) =>
      `${b.name} is ${b.state === "open" ? "open" : "half-open"}${b.reason ? ` (${b.reason})` : ""}`,
  );
  return {
    component: "breakers",
    status: "degraded",
    reason: [...words, ...notes].join("; "),
    details,
  };
}

/** a failure while half-open opens the breaker again: half-open with a good answer has had none since */
function answeredSince(b: BreakerRecord, probed: ReadonlySet<string>): boolean {
  return b.trialSuccesses > 0 || probed.has(b.name);
}

function trialNote(b: BreakerRecord, probed: ReadonlySet<string>): string {
  const left = b.halfOpenRequests - b.trialSuccesses;
  const answer =
    b.trialSuccesses > 0
      ? `${b.trialSuccesses} of ${b.halfOpenRequests} trial requests succeeded`
      : probed.has(b.name)
        ? "its probe succeeded"
        : "its dependency answered";
  return `${b.name} is half-open: ${answer}; it closes after ${left} more successful request(s), which come with traffic`;
}

export async function checkBreakerHealth(store: Store): Promise<ComponentHealth> {
  const breakers = await store.listBreakers();
  // half-opened by its probe: the dependency answered, though no trial has yet
  const probed = new Set<string>();
  for (const b of breakers) {
    if (b.state !== "half_open" || b.trialSuccesses > 0) continue;
    const [last] = await store.listBreakerTransitions({ breaker: b.name, limit: 1 });
    if (last?.reason === "probe_succeeded") probed.add(b.name);
  }
  return breakerHealth(breakers, probed);
}
