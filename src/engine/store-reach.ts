import { KeelErrorCode } from "../core/errors/codes.js";
import { hasKeelCode } from "../core/errors/keel-error.js";

/**
 * Whether this node reaches its store (a PostgreSQL server may be down or cut off), and how many
 * finished steps' writes it holds in memory meanwhile (engine/held-write.ts). The writes a node can
 * hold are bounded by its slots: a run whose write is held keeps its slot, so nothing new is
 * claimed beyond them. `health` names it: "PostgreSQL unreachable since ...; N results held".
 */
export interface StoreReachState {
  reachable: boolean;
  /** epoch ms of the first failure of this outage; null while reachable */
  since: number | null;
  /** step writes held in memory now, waiting for the store */
  held: number;
  /** the last failure's message (server named, password hidden) */
  lastError: string | null;
}

export function isStoreUnreachable(error: unknown): boolean {
  return hasKeelCode(error, KeelErrorCode.storeUnavailable) && error.retryable;
}

export class StoreReach {
  private since: number | null = null;
  private heldWrites = 0;
  private lastError: string | null = null;

  constructor(
    private readonly clock: () => number = Date.now,
    /** told once when an outage ends, whichever call finds the store first */
    private readonly onBack?: (outageMs: number) => void,
  ) {}

  /**
   * A call failed. When the store could not be reached, an outage starts ("started": the caller
   * says so, once per outage) or goes on ("ongoing"); any other failure is not one (false).
   */
  failed(error: unknown): "started" | "ongoing" | false {
    if (!isStoreUnreachable(error)) return false;
    const started = this.since === null;
    this.since ??= this.clock();
    this.lastError = (error as Error).message;
    return started ? "started" : "ongoing";
  }

  /** a call reached the store */
  reached(): void {
    const since = this.since;
    this.since = null;
    this.lastError = null;
    if (since !== null) this.onBack?.(this.clock() - since);
  }

  /** a write is held from now on; the function returned says it is written (or given up) */
  hold(): () => void {
    this.heldWrites++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.heldWrites--;
    };
  }

  get state(): StoreReachState {
    return {
      reachable: this.since === null,
      since: this.since,
      held: this.heldWrites,
      lastError: this.lastError,
    };
  }
}
