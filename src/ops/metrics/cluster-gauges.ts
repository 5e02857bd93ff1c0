import type { Registry, RegistryContentType } from "prom-client";
import type { Keel } from "../../engine/keel.js";
import { defaultWindows, listClusterNodes, type ClusterNode } from "../cluster.js";
import { capacity } from "../health/cluster.js";
import type { PlacedWaiting } from "../../store/store.js";
import { ReusedRead } from "./reused-read.js";

type Registers = Registry<RegistryContentType>[];

interface ClusterFigures {
  nodes: ClusterNode[];
  placed: PlacedWaiting[];
}

const nodeStates = ["online", "offline", "draining", "gone"] as const;

/**
 * The cluster as the store knows it, for every node (any node's /metrics serves the whole
 * cluster): nodes by state, slots per capability, each node's heartbeat age, runs waiting for a
 * capability. Read at scrape time and reused like the store's other gauges (`ReusedRead`), by the
 * gauges of both formats.
 */
export class ClusterGauges {
  private readonly figures: ReusedRead<ClusterFigures>;

  constructor(
    private readonly keel: Keel,
    cacheMs: number,
    clock: () => number = Date.now,
  ) {
    this.figures = new ReusedRead(() => this.load(), cacheMs, clock);
  }

  /** the gauges, in these registries; every set registered reads the same figures */
  register(registers: Registers): void {
    const gauge = this.figures.gaugesIn(registers);
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

  private async load(): Promise<ClusterFigures> {
    const windows = this.keel.snapshot()?.cluster ?? defaultWindows;
    const { nodes } = await listClusterNodes(this.keel.store, windows);
    return { nodes, placed: await this.keel.store.placedWaiting(Date.now()) };
  }
}
