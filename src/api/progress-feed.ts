import type { StepProgress, Store } from "../store/store.js";

/**
 * The `progress` events of `/v1/events`: step progress reports stored since the stream opened.
 * Reports carry their node's clock, so each look goes back a window before the newest seen (a
 * node whose clock is behind is still heard) and a report already sent is not sent again.
 */
const WINDOW_MS = 2000;
const BATCH = 500;

export class ProgressFeed {
  private since: number;
  /** run + step -> time of the report last sent */
  private readonly sent = new Map<string, number>();

  constructor(
    private readonly store: Pick<Store, "progressSince">,
    private readonly runId: string | undefined,
    now = Date.now(),
  ) {
    this.since = now;
  }

  /** reports new since the last call, oldest first */
  async next(): Promise<StepProgress[]> {
    const rows = await this.store.progressSince({
      since: this.since - WINDOW_MS,
      limit: BATCH,
      ...(this.runId === undefined ? {} : { runId: this.runId }),
    });
    const fresh: StepProgress[] = [];
    for (const p of rows) {
      const key = `${p.runId}\u0000${p.step}`;
      if ((this.sent.get(key) ?? -Infinity) >= p.updatedAt) continue;
      this.sent.set(key, p.updatedAt);
      fresh.push(p);
      this.since = Math.max(this.since, p.updatedAt);
    }
    // forget what the window has passed: those rows are no longer read
    for (const [key, at] of this.sent) if (at < this.since - 2 * WINDOW_MS) this.sent.delete(key);
    return fresh;
  }
}
