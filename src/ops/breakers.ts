import type { BreakerView } from "../engine/breaker-actions.js";
import type { Keel } from "../engine/keel.js";
import type { BreakerChange } from "../store/breakers.js";

/**
 * The operator's breaker changes: trip and reset (a list is `keel.breakers.list`). Each is
 * audited in the transaction of the change, and answers with the breaker as it is now and its
 * latest changes (api/wire/breakers.ts gives them their JSON).
 */
export interface ChangedBreaker {
  breaker: BreakerView;
  /** deferred runs this change made due at once */
  woken: number;
}

const historyLength = 10;

export async function tripBreaker(
  keel: Keel,
  name: string,
  options: { reason: string; actor: string },
): Promise<ChangedBreaker> {
  return withHistory(keel, await keel.breakers.trip(name, options));
}

export async function resetBreaker(
  keel: Keel,
  name: string,
  options: { note?: string; actor: string },
): Promise<ChangedBreaker> {
  return withHistory(keel, await keel.breakers.reset(name, options));
}

async function withHistory(keel: Keel, change: BreakerChange): Promise<ChangedBreaker> {
  const history = await keel.store.listBreakerTransitions({
    breaker: change.breaker.name,
    limit: historyLength,
  });
  return { breaker: { ...change.breaker, history }, woken: change.woken };
}
