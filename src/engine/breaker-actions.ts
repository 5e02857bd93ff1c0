import { InvalidInputError, NotFoundError } from "../core/errors/definition-errors.js";
import type { BreakerChange, BreakerRecord, BreakerTransitionRecord } from "../store/breakers.js";
import type { Store } from "../store/store.js";
import type { ResolvedBreaker } from "./breaker-options.js";

type Known = ReadonlyMap<string, ResolvedBreaker>;

/**
 * An operator's trip and reset: one store write with its breaker transition and its audit entry.
 * A breaker this process knows (from config or a step's `uses`) but no node has recorded yet is
 * recorded first, so it can be tripped before the first node starts.
 */
export const BreakerAction = { trip: "breaker.trip", reset: "breaker.reset" } as const;

export interface BreakerView extends BreakerRecord {
  /** its latest state changes, newest first */
  history: BreakerTransitionRecord[];
}

async function listBreakerViews(store: Store, historyLimit: number): Promise<BreakerView[]> {
  const records = await store.listBreakers();
  return Promise.all(
    records.map(async (b) => ({
      ...b,
      history: await store.listBreakerTransitions({ breaker: b.name, limit: historyLimit }),
    })),
  );
}

export async function tripBreaker(
  store: Store,
  known: Known,
  name: string,
  options: { reason: string; actor: string },
): Promise<BreakerChange> {
  const reason = options.reason?.trim();
  if (!reason)
    throw new InvalidInputError("a trip needs a reason (what is wrong with the dependency)", {
      field: "reason",
    });
  await recordIfKnown(store, known, name, options.actor);
  return store.tripBreaker(name, {
    reason,
    actor: options.actor,
    at: Date.now(),
    audit: { action: BreakerAction.trip },
  });
}

export async function resetBreaker(
  store: Store,
  known: Known,
  name: string,
  options: { note?: string; actor: string },
): Promise<BreakerChange> {
  await recordIfKnown(store, known, name, options.actor);
  const note = options.note?.trim() || null;
  return store.resetBreaker(name, {
    reason: note,
    actor: options.actor,
    at: Date.now(),
    audit: { action: BreakerAction.reset },
  });
}

async function recordIfKnown(
  store: Store,
  known: Known,
  name: string,
  actor: string,
): Promise<void> {
  if (await store.getBreaker(name)) return;
  const breaker = known.get(name);
  if (!breaker) {
    const names = [
      ...new Set([...known.keys(), ...(await store.listBreakers()).map((b) => b.name)]),
    ];
    throw new NotFoundError(
      "breaker",
      name,
      names.length
        ? `known breakers: ${names.sort().join(", ")}`
        : "no breaker is declared in the config or used by a step",
    );
  }
  await store.upsertBreakers([breaker.definition], actor, Date.now());
}

/** `keel.breakers`: the operator's view and switches, for the library, the CLI and the API. */
export class BreakerControls {
  constructor(
    private readonly store: Store,
    private readonly known: () => Known,
    /** after each change: the node re-reads the states, the owner hears of the transition */
    private readonly changed: (change: BreakerChange) => Promise<void> | undefined,
  ) {
    known(); // a bad breaker option fails when keel() is called, not at start()
  }

  /** breakers recorded in the store (a node records its own at start), with their latest changes */
  list(options: { history?: number } = {}): Promise<BreakerView[]> {
    return listBreakerViews(this.store, options.history ?? 10);
  }

  /** opens a breaker on every node until reset: steps using it are deferred, or fall back */
  async trip(name: string, o: { reason: string; actor?: string }): Promise<BreakerChange> {
    const change = await tripBreaker(this.store, this.known(), name, {
      ...o,
      actor: o.actor ?? "api",
    });
    await this.changed(change);
    return change;
  }

  /** closes a breaker; the runs it deferred are due at once */
  async reset(name: string, o: { note?: string; actor?: string } = {}): Promise<BreakerChange> {
    const change = await resetBreaker(this.store, this.known(), name, {
      ...o,
      actor: o.actor ?? "api",
    });
    await this.changed(change);
    return change;
  }
}
