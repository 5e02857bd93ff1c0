import type { BreakerChange, BreakerRecord, BreakerTransitionRecord } from "../store/breakers.js";
import type { Store } from "../store/store.js";
import type { ResolvedBreaker } from "./breaker-options.js";
import type { Logger } from "./logger.js";
import { StorePoll } from "./store-poll.js";

/**
 * A node's view of the breakers its steps use. The state lives in the store; this is a cache of
 * it, refreshed every `breakerPollMs` and after each change this node makes, so a step whose breakers
 * are all closed starts without a store round trip. Anything else asks the store, which decides
 * atomically (a trial slot, a transition) for every node at once.
 */
/** how often the cache is read again from the store (ms) */
const breakerPollMs = 100;

export type Admission =
  { ok: true } | { ok: false; breaker: string; reason: string | null; until: number };

/** What a step's outcome says about its dependencies: null says nothing (a permanent error). */
export type DependencyOutcome = { ok: true } | { ok: false; code: string; message: string } | null;

/** The shortest wait of a deferred run, so a breaker on the edge of a trial does not spin. */
const minDeferMs = 50;

export class BreakerBoard {
  private readonly cache = new Map<string, BreakerRecord>();
  private readonly poll: StorePoll;

  constructor(
    private readonly store: Store,
    readonly known: ReadonlyMap<string, ResolvedBreaker>,
    private readonly actor: string,
    private readonly log: Logger,
    /** a change this node's signal made (counted once, by the node that made it) */
    private readonly onTransition: (t: BreakerTransitionRecord) => void = () => {},
  ) {
    this.poll = new StorePoll(
      async () => {
        for (const record of await this.store.listBreakers())
          if (this.known.has(record.name)) this.absorb(record);
      },
      breakerPollMs,
      (error) => this.log.debug({ err: error }, "could not read breaker states"),
    );
  }

  /** Records the policies this node knows, reads the states, and keeps them fresh. */
  async start(): Promise<void> {
    if (this.known.size === 0) return;
    const defs = [...this.known.values()].map((b) => b.definition);
    await this.store.upsertBreakers(defs, this.actor, Date.now());
    await this.poll.start();
  }

  stop(): void {
    this.poll.stop();
  }

  refresh(): Promise<void> {
    return this.poll.refresh();
  }

  state(name: string): BreakerRecord | undefined {
    return this.cache.get(name);
  }

  /** May a step that uses these dependencies run now? A half-open breaker hands out a trial slot. */
  async admit(uses: readonly string[], now: number): Promise<Admission> {
    // an operator's trip holds until reset (and a run deferred just after a reset is due at once),
    // so the cache may refuse it before any trial slot is taken; any other state may have moved
    // on another node (a probe half-opened it and woke this very run): ask the store
    for (const name of uses) {
      const b = this.cache.get(name);
      if (b?.state === "open" && b.manual) return this.refusal(b, now);
    }
    for (const name of uses) {
      const b = this.cache.get(name);
      if (!b || b.state === "closed") continue;
      const change = await this.store.signalBreaker(name, { kind: "trial" }, this.actor, now);
      this.absorb(change.breaker, change);
      if (!change.granted) return this.refusal(change.breaker, now);
    }
    return { ok: true };
  }

  /**
   * Counts a step's outcome against each breaker it uses. After a failure, a refusal when one of
   * them is not closed now (the failure opened it, or the step was a half-open trial): the outage
   * is known, and the run waits for the breaker rather than spend an attempt on it.
   */
  async report(uses: readonly string[], outcome: DependencyOutcome): Promise<Admission> {
    if (outcome === null) return { ok: true };
    for (const name of uses) {
      const b = this.cache.get(name);
      // the common case, a success while closed with no failures to forget, writes nothing
      if (outcome.ok && b?.state === "closed" && b.failures === 0) continue;
      const signal = outcome.ok
        ? ({ kind: "success" } as const)
        : ({ kind: "failure", code: outcome.code, message: outcome.message } as const);
      try {
        const change = await this.store.signalBreaker(name, signal, this.actor, Date.now());
        this.absorb(change.breaker, change);
      } catch (error) {
        // the step's own result matters more than the count; the next outcome is counted
        this.log.warn({ err: error, breaker: name }, "could not record a breaker outcome");
      }
    }
    if (outcome.ok) return { ok: true };
    for (const name of uses) {
      const b = this.cache.get(name);
      if (b && b.state !== "closed") return this.refusal(b, Date.now());
    }
    return { ok: true };
  }

  /** Takes a fresher state into the cache, logging a change of state. */
  absorb(record: BreakerRecord, change?: BreakerChange): void {
    const before = this.cache.get(record.name);
    this.cache.set(record.name, record);
    if (change?.transition) this.onTransition(change.transition);
    if (before?.state === record.state && !change?.transition) return;
    if (!before && record.state === "closed") return;
    const fields = { breaker: record.name, state: record.state, reason: record.reason };
    if (record.state === "closed") this.log.info(fields, "breaker closed");
    else this.log.warn(fields, `breaker ${record.state.replace("_", "-")}`);
  }

  private refusal(b: BreakerRecord, now: number): Admission {
    // half-open: until its trial slots return; open: until a trial may start (an operator's trip
    // has none: look again after the recovery timeout). Closing or half-opening wakes it earlier.
    const next = b.manual || b.nextAttemptAt === null ? now + b.recoveryTimeoutMs : b.nextAttemptAt;
    return {
      ok: false,
      breaker: b.name,
      reason: b.reason,
      until: Math.max(next, now + minDeferMs),
    };
  }
}
