import type {
  BreakerChange,
  BreakerDefinition,
  BreakerHistoryQuery,
  BreakerRecord,
  BreakerSignal,
  BreakerTransitionRecord,
} from "./breakers.js";
import type { OperatorChange, ReasonedChange } from "./operator-change.js";

/**
 * Circuit breakers shared by every node: the pure state machine of core/breaker.ts applied in a
 * store transaction, so every node sees one state.
 */
export interface BreakerStore {
  /** inserts breakers or updates their policy; never touches their state */
  upsertBreakers(defs: BreakerDefinition[], actor: string, now: number): Promise<void>;
  listBreakers(): Promise<BreakerRecord[]>;
  getBreaker(name: string): Promise<BreakerRecord | undefined>;
  /** state changes, newest first */
  listBreakerTransitions(query: BreakerHistoryQuery): Promise<BreakerTransitionRecord[]>;
  /**
   * A node's news about a breaker (a step's success or failure, a probe that answered, a step
   * asking for a trial slot), applied atomically. A change to half-open or closed makes the runs
   * it deferred due at once, in the same transaction. An unknown breaker is created with the
   * default policy.
   */
  signalBreaker(
    name: string,
    signal: BreakerSignal,
    actor: string,
    now: number,
  ): Promise<BreakerChange>;
  /** an operator opens a breaker until reset */
  tripBreaker(name: string, change: ReasonedChange): Promise<BreakerChange>;
  /** an operator closes a breaker, waking the runs it deferred; `reason` is the operator's note */
  resetBreaker(name: string, change: OperatorChange): Promise<BreakerChange>;
}
