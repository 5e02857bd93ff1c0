import type { ClaimedRun } from "../store/store.js";

/**
 * Runs a node has claimed beyond its free worker slots, waiting for one to free up.
 *
 * A run is claimed in one commit and its result written in another, and a commit costs about as
 * much as the short runs it carries. A node that claims only what its free slots hold puts at
 * most `limit` runs in each commit; one that holds a few more can start the next run the moment a
 * slot frees, in the same turn, and the commit that follows carries the results of all of them.
 *
 * Holding runs is only worth it while runs are short: a run held behind long ones waits while
 * another node could have run it. So the depth follows the node's own runs: as many as `limit`
 * slots finish within `waitMs` at the current mean run time, at most `max`, none before a run of
 * this node has finished. A run held longer than `staleMs` is given back all the same.
 */
export interface ClaimAheadSettings {
  /** the most runs held beyond the free slots; 0: never claim ahead */
  readonly max: number;
  /** the wait a held run should expect before a slot takes it, at the mean run time (ms) */
  readonly waitMs: number;
}

export interface HeldAhead {
  readonly claimed: ClaimedRun;
  /** Date.now() when it was claimed */
  readonly claimedAt: number;
}

/** smoothing of the mean run time: about the last ten runs count */
const weightOfNewest = 0.1;

export class ClaimAhead {
  private readonly held: HeldAhead[] = [];
  private meanRunMs: number | undefined;

  constructor(private readonly settings: ClaimAheadSettings) {}

  /** a held run not started after this long is given back, whatever the mean says (ms) */
  get staleMs(): number {
    return Math.max(1000, 20 * this.settings.waitMs);
  }

  get size(): number {
    return this.held.length;
  }

  /** runs held now, oldest first */
  get runs(): readonly HeldAhead[] {
    return this.held;
  }

  /** the time one of this node's runs took from its start to its last write */
  recordRun(ms: number): void {
    this.meanRunMs =
      this.meanRunMs === undefined ? ms : this.meanRunMs + weightOfNewest * (ms - this.meanRunMs);
  }

  /**
   * How many more runs to claim beyond the free slots, for a node running `limit` at once.
   * `stuckMs`: how long every slot has been taken by runs that are not finishing (0 if not so);
   * the runs now may be far slower than the mean of the past ones.
   */
  room(limit: number, stuckMs = 0): number {
    const { max, waitMs } = this.settings;
    if (max === 0 || this.meanRunMs === undefined) return 0;
    const pace = Math.max(this.meanRunMs, stuckMs, 0.001);
    // a held run starts after (its place / limit) runs' time: keep the last one within waitMs
    const depth = Math.min(max, Math.floor((limit * waitMs) / pace));
    return Math.max(0, depth - this.held.length);
  }

  hold(claimed: ClaimedRun, now: number): void {
    this.held.push({ claimed, claimedAt: now });
  }

  /** the oldest held run, to start now */
  next(): ClaimedRun | undefined {
    return this.held.shift()?.claimed;
  }

  /** takes a run out (cancelled, or its lease lost); true when it was held */
  drop(runId: string): boolean {
    const at = this.held.findIndex((h) => h.claimed.run.id === runId);
    if (at < 0) return false;
    this.held.splice(at, 1);
    return true;
  }

  /**
   * Takes out the runs held since before `now - staleMs`. Each counts as a run of `staleMs` in the
   * mean: the runs ahead of it were slower than the mean said, and claiming as many again would
   * only hold the next ones as long.
   */
  takeStale(now: number): ClaimedRun[] {
    const cutoff = now - this.staleMs;
    let count = 0;
    while (count < this.held.length && (this.held[count] as HeldAhead).claimedAt < cutoff) count++;
    for (let i = 0; i < count; i++) this.recordRun(this.staleMs);
    return this.held.splice(0, count).map((h) => h.claimed);
  }

  /** takes out every held run */
  takeAll(): ClaimedRun[] {
    return this.held.splice(0).map((h) => h.claimed);
  }
}
