import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";
import { Counter, Gauge, type Registry, type RegistryContentType } from "prom-client";
import { keelVersion } from "../../core/version.js";
import { DiskState } from "../../engine/disk-usage.js";
import type { Keel } from "../../engine/keel.js";
import type { NodeSnapshot } from "../../engine/node-snapshot.js";
import type { StoreWatchStatus } from "../../engine/store-watch.js";

const storeStates: readonly StoreWatchStatus[] = ["ok", "checking", "repairing", "damaged"];

type Registers = Registry<RegistryContentType>[];

/**
 * What the node knows first-hand (Keel.snapshot()), read at scrape time: no store access, so
 * these cost nothing but the snapshot. Before start() there is no node and these stay empty,
 * except the build info and the event-loop delay, which are the process's.
 */
export class NodeGauges {
  private readonly loop: IntervalHistogram;
  private readonly onHeld: () => void;

  constructor(
    private readonly keel: Keel,
    registers: Registers,
  ) {
    const snapshot = (): NodeSnapshot | undefined => keel.snapshot();
    const gauge = (name: string, help: string, labelNames: string[], set: (g: Gauge) => void) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers,
        collect() {
          this.reset();
          set(this);
        },
      });
    new Gauge({
      name: "keel_build_info",
      help: "Always 1; the labels name the keel version and the Node.js running it",
      labelNames: ["version", "node_version"],
      registers,
    }).set({ version: keelVersion, node_version: process.version }, 1);
    gauge("keel_workers_limit", "Runs this node may have in flight now", [], (g) => {
      const s = snapshot();
      if (s) g.set(s.workers.limit);
    });
    gauge("keel_workers_busy", "Runs executing on this node now", [], (g) => {
      const s = snapshot();
      if (s) g.set(s.busy);
    });
    gauge(
      "keel_cpu_pressure",
      "1 while this node sees CPU pressure and holds its limit down",
      [],
      (g) => {
        const s = snapshot();
        if (s) g.set(s.workers.pressure.active ? 1 : 0);
      },
    );
    gauge(
      "keel_disk_bytes",
      "The store's filesystem as the disk guard last saw it: used and free bytes",
      ["kind"],
      (g) => {
        const usage = snapshot()?.disk?.usage;
        if (!usage) return;
        g.set({ kind: "used" }, usage.totalBytes - usage.freeBytes);
        g.set({ kind: "free" }, usage.freeBytes);
      },
    );
    /** the usual encoding of a state: one series per state, 1 for the current one */
    const stateGauge = (
      name: string,
      help: string,
      states: readonly string[],
      current: () => string | undefined,
    ) =>
      gauge(name, help, ["state"], (g) => {
        const now = current();
        if (now !== undefined) for (const state of states) g.set({ state }, now === state ? 1 : 0);
      });
    stateGauge(
      "keel_disk_guard_state",
      "1 for the disk guard's current state (ok, warn, paused), 0 for the others",
      Object.values(DiskState),
      () => snapshot()?.disk?.state,
    );
    stateGauge(
      "keel_store_state",
      "1 for the store watch's current state (ok, checking, repairing, damaged), 0 for the others",
      storeStates,
      () => snapshot()?.storage.state,
    );
    // the delay is sampled continuously; each scrape reports the window since the previous one
    this.loop = monitorEventLoopDelay({ resolution: 20 });
    this.loop.enable();
    gauge(
      "keel_event_loop_delay_seconds",
      "Event-loop delay since the previous scrape: p50, p99 and max",
      ["quantile"],
      (g) => {
        if (this.loop.count > 0) {
          g.set({ quantile: "0.5" }, this.loop.percentile(50) / 1e9);
          g.set({ quantile: "0.99" }, this.loop.percentile(99) / 1e9);
          g.set({ quantile: "1" }, this.loop.max / 1e9);
        }
        this.loop.reset();
      },
    );
    const held = new Counter({
      name: "keel_store_writes_held_total",
      help: "Run writes this node held in memory because the store's disk was full",
      registers,
    });
    this.onHeld = () => held.inc();
    keel.on("storageFull", this.onHeld);
  }

  close(): void {
    this.loop.disable();
    this.keel.off("storageFull", this.onHeld);
  }
}
