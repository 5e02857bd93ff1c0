import { Gauge, type Registry, type RegistryContentType } from "prom-client";
import type { Keel } from "../../engine/keel.js";
import { defaultWindows, listClusterNodes, type ClusterNode } from "../cluster.js";
import { capacity } from "../health/cluster.js";
import type { PlacedWaiting } from "../../store/store.js";

type Registers = Registry<RegistryContentType>[];

interface ClusterFigures {
  nodes: ClusterNode[];
  placed: PlacedWaiting[];
}

const nodeStates = ["online", "offline", "draining", "gone"] as const;

/**
 * The cluster as the store knows it, for every node (any node's /metrics serves the whole
 * cluster): nodes by state, slots per capability, each node's heartbeat age, runs waiting for a
 * capability. Read at scrape time and reused for `cacheMs`, like the store's other gauges.
 */
export class ClusterGauges {
  private figures: { at: number; value: ClusterFigures } | undefined;
  private reading: Promise<ClusterFigures> | undefined;

  constructor(
    private readonly keel: Keel,
    registers: Registers,
    private readonly cacheMs: number,
  ) {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- collect() gets the gauge as this
    const self = this;
    const gauge = (
      name: string,
      help: string,
      labelNames: string[],
      set: (g: Gauge, f: ClusterFigures) => void,
    ) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers,
        async collect() {
          const figures = await self.read();
          this.reset();
          set(this, figures);
        },
      });
    gauge("keel_nodes", "Nodes of the cluster by state", ["state"], (g, f) => {
      for (const state of nodeStates)
        g.set({ state }, f.nodes.filter((n) => n.status === state).length);
    });
    gauge(
      "keel_node_capacity_slots",
      "Slots of online, claiming nodes offering each capability",
      ["capability"],
      (g, f) => {
        for (const [capability, slots] of Object.entries(capacity(f.nodes).capabilities))
          g.set({ capability }, slots);
      },
    );
    gauge(
      "keel_node_heartbeat_age_seconds",
      "Seconds since each node's last heartbeat, on the store's clock (nodes not gone)",
      ["node"],
      (g, f) => {
        for (const n of f.nodes)
          if (n.status !== "gone") g.set({ node: n.id }, n.heartbeatAgeMs / 1000);
      },
    );
    gauge(
      "keel_runs_waiting_for_capability",
      "Due pending runs whose next step requires a capability, by capability; 'served' or not by a live node is the alert's to judge",
      ["capability"],
      (g, f) => {
        const by: Record<string, number> = {};
        for (const w of f.placed)
          for (const c of w.placement.requires.length > 0
            ? w.placement.requires
            : [`pool:${w.placement.pool}`])
            by[c] = (by[c] ?? 0) + w.runs;
        for (const [capability, runs] of Object.entries(by)) g.set({ capability }, runs);
      },
    );
  }

  private async read(): Promise<ClusterFigures> {
    const now = Date.now();
    if (this.figures && now - this.figures.at < this.cacheMs) return this.figures.value;
    this.reading ??= (async () => {
      try {
        const windows = this.keel.snapshot()?.cluster ?? defaultWindows;
        const { nodes } = await listClusterNodes(this.keel.store, windows);
        const value = { nodes, placed: await this.keel.store.placedWaiting(now) };
        this.figures = { at: now, value };
        return value;
      } finally {
        this.reading = undefined;
      }
    })();
    return this.reading;
  }
}
