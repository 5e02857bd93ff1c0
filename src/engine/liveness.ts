import { LeaseLostError } from "../core/errors/run-errors.js";
import type { NodeRecord, ProcessIdentity } from "../store/records.js";
import type { HeldRun, NodeBeat, Store } from "../store/store.js";
import type { Logger } from "./logger.js";
import { PeerWatch } from "./peer-watch.js";
import { judgeNode, type OwnProcess } from "./process-identity.js";
import type { StoreReach } from "./store-reach.js";

/**
 * Heartbeats and recovery. The heartbeat extends this node's leases and tells which runs it still
 * holds (a cancelled or taken-over run is aborted here; a run held with no execution is given
 * back). Recovery returns runs of dead nodes: a node whose pid this node shares (same host) as
 * soon as its process is gone, found by a look at the kernel every `pidCheckMs`; any node once it
 * stops heartbeating or its leases expire, found by the sweep every `pollMs`.
 */
export interface LivenessDeps {
  store: Store;
  log: Logger;
  nodeId: string;
  host: string;
  /** this node's process, as it registered it (null where /proc cannot tell) */
  process: ProcessIdentity | null;
  leaseMs: number;
  heartbeatMs: number;
  /** a node silent this long, on the store's clock, is offline and its runs go back to pending */
  offlineAfterMs: number;
  /** true once since the last beat: a step finished here (the cluster's "stuck" check) */
  takeProgress?: () => boolean;
  /** what the store said of this node at its beat; undefined: its record is gone (forgotten) */
  onClusterBeat?: (beat: NodeBeat | undefined) => void;
  pollMs: number;
  /** how often the pids of same-host nodes are looked up (no store access); 0: at each sweep only */
  pidCheckMs: number;
  /** runs in flight here, with the time they were claimed */
  held: () => { runId: string; epoch: number; claimedAt: number; settled: boolean }[];
  onLost: (runId: string) => void;
  onRecovered: (runIds: string[]) => void;
  /** true while nothing may be written to the store (its file is being checked or is damaged) */
  paused?: () => boolean;
  /**
   * whether the store answers: a heartbeat is the one call an idle node makes every beat, so an
   * outage is known (and `health` names it) even when no claim or write of this node meets it
   */
  reach?: StoreReach;
}

/** A node this one declared dead: why, when, and how many of its runs it returned to pending. */
export interface DeadNode {
  nodeId: string;
  host: string;
  pid: number;
  /** its process exited, its pid now names another process, or it stopped heartbeating */
  cause: "process_gone" | "pid_reused" | "silent";
  declaredAt: number;
  lastHeartbeatAt: number;
  runsReturned: number;
}

/** how many declared deaths a node remembers (for health), newest first */
const deadNodesKept = 10;

export class Liveness {
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private recoveryTimer: NodeJS.Timeout | undefined;
  private beating = false;
  /** "runId:epoch" of runs the store had as ours at the last beat while no execution here held them */
  private orphans = new Set<string>();
  private lastBeatAt: number | undefined;
  private readonly own: OwnProcess;
  private readonly peers: PeerWatch;
  /** the sweep under way, and whether another was asked for while it ran */
  private sweep: Promise<string[]> | undefined;
  private sweepAgain = false;
  private dead: DeadNode[] = [];

  constructor(private readonly deps: LivenessDeps) {
    this.own = { host: deps.host, process: deps.process };
    this.peers = new PeerWatch(this.own, deps.pidCheckMs, () => void this.recover());
  }

  /** the nodes this one declared dead, newest first (at most the last 10) */
  get deadNodes(): readonly DeadNode[] {
    return this.dead;
  }

  start(): void {
    this.lastBeatAt = Date.now();
    this.heartbeatTimer = setInterval(() => void this.beat(), this.deps.heartbeatMs);
    this.recoveryTimer = setInterval(() => void this.recover(), this.deps.pollMs);
    this.heartbeatTimer.unref();
    this.recoveryTimer.unref();
    this.peers.start();
  }

  stop(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.recoveryTimer) clearInterval(this.recoveryTimer);
    this.peers.stop();
  }

  async beat(): Promise<void> {
    if (this.beating || this.deps.paused?.()) return;
    this.beating = true;
    const startedAt = Date.now();
    this.noteLateness(startedAt);
    try {
      const held = await this.deps.store.heartbeat(this.deps.nodeId, startedAt, this.deps.leaseMs);
      this.deps.reach?.reached();
      const stillMine = new Set(held.map((h) => `${h.runId}:${h.epoch}`));
      const local = this.deps.held();
      for (const run of local) {
        // runs claimed after the heartbeat began may not be visible to it yet
        if (run.claimedAt >= startedAt || run.settled) continue;
        if (!stillMine.has(`${run.runId}:${run.epoch}`)) this.deps.onLost(run.runId);
      }
      await this.returnOrphans(held, new Set(local.map((r) => `${r.runId}:${r.epoch}`)));
      if (this.deps.onClusterBeat) {
        const progressed = this.deps.takeProgress?.() ?? false;
        this.deps.onClusterBeat(
          await this.deps.store.nodeBeat(this.deps.nodeId, progressed, startedAt),
        );
      }
    } catch (error) {
      // a server out of reach: said once per outage, not every beat; health names it meanwhile
      const outage = this.deps.reach?.failed(error);
      if (!outage) this.deps.log.error({ err: error }, "heartbeat failed");
      else if (outage === "started")
        this.deps.log.error(
          { err: error },
          "heartbeat failed: the store is unreachable; nothing is claimed and finished steps' results are held until it answers",
        );
    } finally {
      this.beating = false;
    }
  }

  /**
   * A beat far behind its schedule means the event loop was blocked: past lease_ms, other nodes
   * take this node's runs and the blocked work is done twice. Say so, and what to do about it.
   */
  private noteLateness(now: number): void {
    const last = this.lastBeatAt;
    this.lastBeatAt = now;
    if (last === undefined) return;
    const lateMs = now - last - this.deps.heartbeatMs;
    if (lateMs < this.deps.leaseMs / 2) return;
    this.deps.log.warn(
      { lateMs, leaseMs: this.deps.leaseMs },
      `heartbeat ${lateMs} ms late: the event loop was blocked (a CPU-bound inline step?); ` +
        "a block longer than lease_ms lets other nodes take this node's runs: run CPU-bound " +
        'steps with isolation: "process"',
    );
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

  /** One sweep; a call while one runs is served by another right after it, not in parallel. */
  recover(): Promise<string[]> {
    if (this.sweep) {
      this.sweepAgain = true;
      return this.sweep;
    }
    this.sweep = this.sweepUntilDone();
    return this.sweep;
  }

  private async sweepUntilDone(): Promise<string[]> {
    const recovered: string[] = [];
    try {
      do {
        this.sweepAgain = false;
        recovered.push(...(await this.sweepOnce()));
      } while (this.sweepAgain);
    } finally {
      this.sweep = undefined;
    }
    return recovered;
  }

  private async sweepOnce(): Promise<string[]> {
    const { store, log } = this.deps;
    if (this.deps.paused?.()) return [];
    let now = Date.now();
    const recovered: string[] = [];
    try {
      const watched: NodeRecord[] = [];
      // silence is judged on the store's clock (the database's on PostgreSQL), the clock every
      // heartbeat was written on: a node whose own clock is off judges no one wrongly
      const view = await store.clusterView();
      now = view.now;
      for (const node of view.nodes) {
        if (node.id === this.deps.nodeId || node.state === "offline") continue;
        const verdict = judgeNode(node, this.own);
        // a silent node is dead wherever it runs: its pid may live on in a hung process, or
        // name another process where its start time was not recorded
        const silent = now - node.heartbeatAt > this.deps.offlineAfterMs;
        if (verdict === "process_gone" || verdict === "pid_reused")
          recovered.push(...(await this.declareDead(node, verdict, now)));
        else if (silent) recovered.push(...(await this.declareDead(node, "silent", now)));
        else if (verdict === "alive") watched.push(node);
      }
      this.peers.watch(watched);
      // not this node's own: it is alive (it is sweeping), and a lease of its own ran out only
      // because its event loop was blocked (a CPU-bound inline step); its heartbeat renews them,
      // where taking them back would abort work this node is about to finish, over and over
      const expired = await store.recoverExpiredLeases(now, this.deps.nodeId);
      if (expired.length > 0)
        log.warn({ runs: expired.length }, "leases expired; runs are pending again");
      recovered.push(...expired);
    } catch (error) {
      // a server out of reach: said once per outage, by whichever call meets it first
      const outage = this.deps.reach?.failed(error);
      if (!outage) log.error({ err: error }, "recovery sweep failed; retrying on the next poll");
      else if (outage === "started")
        log.error({ err: error }, "recovery sweep failed: the store is unreachable; retrying");
    }
    if (recovered.length > 0) this.deps.onRecovered(recovered);
    return recovered;
  }

  private async declareDead(node: NodeRecord, cause: DeadNode["cause"], now: number) {
    const ids = await this.deps.store.releaseNodeRuns(
      node.id,
      cause === "silent" ? "node_silent" : "node_dead",
      now,
    );
    await this.deps.store.setNodeState(node.id, "offline", now);
    this.dead = [
      {
        nodeId: node.id,
        host: node.host,
        pid: node.pid,
        cause,
        declaredAt: now,
        lastHeartbeatAt: node.heartbeatAt,
        runsReturned: ids.length,
      },
      ...this.dead,
    ].slice(0, deadNodesKept);
    this.deps.log.warn(
      { node: node.id, pid: node.pid, runs: ids.length, cause },
      cause === "silent"
        ? "node stopped heartbeating; its runs are pending again"
        : cause === "pid_reused"
          ? "node process is gone (its pid now names another process); its runs are pending again"
          : "node process is gone; its runs are pending again",
    );
    return ids;
  }
}
