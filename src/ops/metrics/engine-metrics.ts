import { Counter, Histogram, type Registry, type RegistryContentType } from "prom-client";
import type { Keel } from "../../engine/keel.js";
import type { NodeEvents } from "../../engine/node-events.js";

type Registers = Registry<RegistryContentType>[];

/** a commit takes well under a millisecond on a quiet SQLite file, seconds on a struggling disk */
const writeBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * What the engine tells about its dependencies as it happens: the breaker transitions this process
 * made (a node's signal, an operator's trip or reset: each transition is counted by the one process
 * that made it, so a sum over nodes counts each once) and how long the store took to commit a
 * run's writes.
 */
export class EngineMetrics {
  private readonly onBreaker: (...args: NodeEvents["breaker"]) => void;
  private readonly onWrite: (...args: NodeEvents["storeWrite"]) => void;

  constructor(
    private readonly keel: Keel,
    registers: Registers,
  ) {
    const transitions = new Counter({
      name: "keel_breaker_transitions_total",
      help: "Breaker state changes made through this process, by breaker, from, to and reason",
      labelNames: ["breaker", "from", "to", "reason"],
      registers,
    });
    const writes = new Histogram({
      name: "keel_store_write_duration_seconds",
      help: "Time the store took to commit a run's write (claim, checkpoint, end) on this node",
      buckets: writeBuckets,
      registers,
    });
    this.onBreaker = (t) =>
      transitions.inc({ breaker: t.breaker, from: t.from, to: t.to, reason: t.reason });
    this.onWrite = (e) => writes.observe(e.ms / 1000);
    keel.on("breaker", this.onBreaker);
    keel.on("storeWrite", this.onWrite);
  }

  close(): void {
    this.keel.off("breaker", this.onBreaker);
    this.keel.off("storeWrite", this.onWrite);
  }
}
