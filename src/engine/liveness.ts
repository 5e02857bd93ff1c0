import { LeaseLostError } from "../core/errors/run-errors.js";
import type { HeldRun, Store } from "../store/store.js";
import type { Logger } from "./logger.js";

/**
 * Heartbeats and recovery. The heartbeat extends this node's leases and tells which runs it still
 * holds (a cancelled or taken-over run is aborted here; a run held with no execution is given
 * back). Recovery returns runs of dead nodes:
 * a node on this host whose pid is gone at once, any node once its leases expire.
 */
export interface LivenessDeps {
  store: Store;
  log: Logger;
  nodeId: string;
  host: string;
  leaseMs: number;
  heartbeatMs: number;
  pollMs: number;
  /** runs in flight here, with the time they were claimed */
  held: () => { runId: string; epoch: number; claimedAt: number; settled: boolean }[];
  onLost: (runId: string) => void;
  onRecovered: (runIds: string[]) => void;
  /** true while nothing may be written to the store (its file is being checked or is damaged) */
  paused?: () => boolean;
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export class Liveness {
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private recoveryTimer: NodeJS.Timeout | undefined;
  private beating = false;
  /** "runId:epoch" of runs the store had as ours at the last beat while no execution here held them */
  private orphans = new Set<string>();

  constructor(private readonly deps: LivenessDeps) {}

  start(): void {
    this.heartbeatTimer = setInterval(() => void this.beat(), this.deps.heartbeatMs);
    this.recoveryTimer = setInterval(() => void this.recover(), this.deps.pollMs);
    this.heartbeatTimer.unref();
    this.recoveryTimer.unref();
  }

  stop(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.recoveryTimer) clearInterval(this.recoveryTimer);
  }

  async beat(): Promise<void> {
    if (this.beating || this.deps.paused?.()) return;
    this.beating = true;
    const startedAt = Date.now();
    try {
      const held = await this.deps.store.heartbeat(this.deps.nodeId, startedAt, this.deps.leaseMs);
      const stillMine = new Set(held.map((h) => `${h.runId}:${h.epoch}`));
      const local = this.deps.held();
      for (const run of local) {
        // runs claimed after the heartbeat began may not be visible to it yet
        if (run.claimedAt >= startedAt || run.settled) continue;
        if (!stillMine.has(`${run.runId}:${run.epoch}`)) this.deps.onLost(run.runId);
      }
      await this.returnOrphans(held, new Set(local.map((r) => `${r.runId}:${r.epoch}`)));
    } catch (error) {
      this.deps.log.error({ err: error }, "heartbeat failed");
    } finally {
      this.beating = false;
    }
  }

  /**
   * Runs the store says this node holds but no execution here runs: an execution that ended on a
   * failed store write leaves its run running, and the heartbeat, which renews all of this node's
   * leases, would keep it so for as long as the node lives. Give them back. A run must be seen so
   * on two beats in a row: a claim may have committed but not yet reached its execution.
   */
  private async returnOrphans(held: HeldRun[], executing: ReadonlySet<string>): Promise<void> {
    const seen = new Set<string>();
    const returned: string[] = [];
    for (const run of held) {
      const key = `${run.runId}:${run.epoch}`;
      if (executing.has(key)) continue;
      if (!this.orphans.has(key)) {
        seen.add(key);
        continue;
      }
      try {
        await this.deps.store.returnRun(
          { runId: run.runId, nodeId: this.deps.nodeId, epoch: run.epoch },
          "orphaned",
          Date.now(),
        );
        returned.push(run.runId);
      } catch (error) {
        // lease lost: someone else has it now; anything else: tried again on the next beat
        if (!(error instanceof LeaseLostError)) seen.add(key);
        this.deps.log.warn(
          { err: error, runId: run.runId },
          "could not give back a run no execution holds",
        );
      }
    }
    this.orphans = seen;
    if (returned.length > 0) {
      this.deps.log.warn(
        { runs: returned },
        "runs held by this node without an execution are pending again",
      );
      this.deps.onRecovered(returned);
    }
  }

  async recover(): Promise<string[]> {
    const { store, log } = this.deps;
    if (this.deps.paused?.()) return [];
    const now = Date.now();
    const recovered: string[] = [];
    try {
      for (const node of await store.listNodes()) {
        if (node.id === this.deps.nodeId || node.state === "offline") continue;
        const deadHere = node.host === this.deps.host && !isProcessAlive(node.pid);
        const silent = now - node.heartbeatAt > this.deps.leaseMs;
        if (!deadHere && !silent) continue;
        const ids = await store.releaseNodeRuns(
          node.id,
          deadHere ? "node_dead" : "node_silent",
          now,
        );
        await store.setNodeState(node.id, "offline", now);
        if (ids.length > 0)
          log.warn(
            { node: node.id, pid: node.pid, runs: ids.length },
            deadHere
              ? "node process is gone; its runs are pending again"
              : "node stopped heartbeating; its runs are pending again",
          );
        recovered.push(...ids);
      }
      const expired = await store.recoverExpiredLeases(now);
      if (expired.length > 0)
        log.warn({ runs: expired.length }, "leases expired; runs are pending again");
      recovered.push(...expired);
    } catch (error) {
      log.error({ err: error }, "recovery sweep failed; retrying on the next poll");
    }
    if (recovered.length > 0) this.deps.onRecovered(recovered);
    return recovered;
  }
}
