import type { Keel } from "../../engine/keel.js";
import type { ShadowRecord } from "../../store/shadow-rows.js";
import { sampled } from "./sample.js";
import { compareRun } from "./shadow-compare.js";

/**
 * The node's shadow worker, started by `keel start` beside the alerts service. Each tick it scans
 * every active shadow's pipeline for succeeded runs past the shadow's cursor, queues the sampled
 * ones (the store makes each run queued once), then, while this node has a free slot, claims one
 * queued run at a time and compares it. It takes no slot of the node's own: the comparison runs in
 * a sandbox child process at the lowest CPU priority, and waits whenever every slot is busy.
 * stop() kills a comparison in flight and hands its run back to the queue.
 */
export interface ShadowWorkerOptions {
  /** how often it looks (ms) */
  intervalMs?: number;
  /** a run is scanned once it ended this long ago (ms): a commit in flight is not skipped */
  settleMs?: number;
  /** how long a claim holds before another node may take the run over (ms) */
  leaseMs?: number;
  clock?: () => number;
}

const scanLimit = 500;
const lowestPriority = 19;

export class ShadowWorker {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private readonly intervalMs: number;
  private readonly settleMs: number;
  private readonly leaseMs: number;
  private readonly clock: () => number;
  /** runs this node compared since it started */
  compared = 0;

  constructor(
    private readonly keel: Keel,
    options: ShadowWorkerOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 1000;
    this.settleMs = options.settleMs ?? 2000;
    this.leaseMs = options.leaseMs ?? 300_000;
    this.clock = options.clock ?? Date.now;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  tick(): Promise<void> {
    this.ticking ??= this.work()
      .catch((error: unknown) => {
        if (!this.abort.signal.aborted)
          this.keel.log.warn({ err: error }, "shadow: worker tick failed");
      })
      .finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  async stop(): Promise<void> {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.abort.abort();
    await this.ticking;
  }

  private get running(): boolean {
    return this.timer !== undefined && !this.abort.signal.aborted;
  }

  private async work(): Promise<void> {
    const nodeId = this.keel.snapshot()?.nodeId;
    if (!nodeId || !this.running) return;
    const active = (await this.keel.store.listShadows()).filter((s) => s.stoppedAt === null);
    if (active.length === 0) return;
    for (const shadow of active) await this.scan(shadow);
    const byId = new Map(active.map((s) => [s.id, s]));
    while (this.running && this.slotFree()) {
      const claim = await this.keel.store.claimShadowRun(nodeId, this.clock(), this.leaseMs);
      if (!claim) return;
      const shadow = byId.get(claim.shadowId) ?? (await this.keel.store.getShadow(claim.shadowId));
      if (!shadow) return;
      await this.compare(nodeId, shadow, claim.runId);
    }
  }

  private async scan(shadow: ShadowRecord): Promise<void> {
    for (;;) {
      const { runs } = await this.keel.store.scanShadowRuns(
        shadow.id,
        this.clock() - this.settleMs,
        scanLimit,
      );
      const last = runs.at(-1);
      if (!last) return;
      const picked = runs.filter((r) => sampled(r.id, shadow.sampleRate)).map((r) => r.id);
      const to = { at: last.finishedAt, id: last.id };
      const queued = await this.keel.store.queueShadowRuns(shadow.id, picked, to, this.clock());
      if (queued > 0)
        this.keel.log.debug({ shadow: shadow.id, queued }, "shadow: sampled runs queued");
      if (runs.length < scanLimit) return;
    }
  }

  private async compare(nodeId: string, shadow: ShadowRecord, runId: string): Promise<void> {
    try {
      const comparison = await compareRun(this.keel, shadow, runId, {
        nice: lowestPriority,
        signal: this.abort.signal,
        now: this.clock,
      });
      if (await this.keel.store.finishShadowRun(comparison, nodeId)) this.compared += 1;
      this.keel.log.info(
        {
          shadow: shadow.id,
          pipeline: shadow.pipeline,
          run: runId,
          error: comparison.error,
          mismatches: comparison.steps.filter((s) => s.status === "mismatch").length,
        },
        "shadow: run compared",
      );
    } catch (error) {
      // stopping: the run goes back to the queue for this node's next start, or another node
      await this.keel.store.releaseShadowRun(shadow.id, runId, nodeId).catch(() => undefined);
      if (!this.abort.signal.aborted) throw error;
    }
  }

  /** a comparison waits while every slot of the node runs its own work */
  private slotFree(): boolean {
    const node = this.keel.snapshot();
    return node !== undefined && node.busy < node.concurrency;
  }
}
