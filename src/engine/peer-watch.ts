import type { NodeRecord } from "../store/records.js";
import { judgeNode, type OwnProcess } from "./process-identity.js";

/**
 * The fast half of finding dead nodes. Every `everyMs`, the nodes whose pids this process shares
 * are looked up in the kernel (no store access: a signal 0 and a read of /proc/<pid>/stat each);
 * the first found dead calls `onDead`, which runs the recovery sweep at once rather than at its
 * next poll. The list comes from each sweep (`watch`), so a node that joins is watched from the
 * sweep after it registered; while there is none to watch, no timer runs.
 */
export class PeerWatch {
  private peers: readonly NodeRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly own: OwnProcess,
    private readonly everyMs: number,
    private readonly onDead: () => void,
  ) {}

  start(): void {
    this.running = true;
    this.arm();
  }

  stop(): void {
    this.running = false;
    this.arm();
  }

  /** the nodes to watch: those found alive, with pids this process shares, at the last sweep */
  watch(peers: readonly NodeRecord[]): void {
    this.peers = peers;
    this.arm();
  }

  check(): void {
    const dead = this.peers.filter((peer) => judgeNode(peer, this.own) !== "alive");
    if (dead.length === 0) return;
    // told once: the sweep judges them again against the store and hands back the live ones
    this.peers = this.peers.filter((peer) => !dead.includes(peer));
    this.arm();
    this.onDead();
  }

  private arm(): void {
    const wanted = this.running && this.everyMs > 0 && this.peers.length > 0;
    if (wanted && !this.timer) {
      this.timer = setInterval(() => this.check(), this.everyMs);
      this.timer.unref();
    } else if (!wanted && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
