import type { NodeSnapshot } from "../../../engine/node-snapshot.js";
import type { AlertLabels } from "../../../store/alerts.js";
import type { Store } from "../../../store/store.js";
import type { CapabilityDemand } from "../../capability-demand.js";
import type { ResolvedRule } from "../rules.js";

/**
 * What a rule's condition found at one evaluation: whether it holds, the figure it measured and a
 * sentence naming the worst offender (a pipeline, a step, a node), with labels that say which.
 */
export interface Finding {
  holds: boolean;
  value: number | null;
  summary: string;
  labels?: AlertLabels;
}

/**
 * Reads the runs waiting for a placement no live node serves (ops/capability-demand.ts), judged
 * with the evaluating node's cluster windows; without it capability_unserved never holds.
 */
export type CapabilityDemandReader = () => Promise<CapabilityDemand>;

/** what conditions read, each read at most once per evaluation */
export class AlertFigures {
  private readonly memo = new Map<string, Promise<unknown>>();

  constructor(
    readonly store: Store,
    readonly now: number,
    /** the evaluating node's own snapshot: its disk guard and store watch */
    readonly live: NodeSnapshot | undefined,
    /** a node without a heartbeat for this long is not online (node.lease_ms) */
    readonly nodeOfflineMs: number,
    readonly capabilities: CapabilityDemandReader | undefined,
  ) {}

  once<T>(key: string, read: () => Promise<T>): Promise<T> {
    let value = this.memo.get(key) as Promise<T> | undefined;
    if (!value) {
      value = read();
      this.memo.set(key, value);
    }
    return value;
  }
}

export type Condition = (figures: AlertFigures, rule: ResolvedRule) => Promise<Finding>;

export const quiet = (summary: string, value: number | null = null): Finding => ({
  holds: false,
  value,
  summary,
});

/** the entry with the largest figure, or undefined for none */
export function worstOf<T>(items: readonly T[], figure: (item: T) => number): T | undefined {
  let worst: T | undefined;
  for (const item of items) if (worst === undefined || figure(item) > figure(worst)) worst = item;
  return worst;
}

export const seconds = (ms: number): number => Math.round(ms / 100) / 10;
