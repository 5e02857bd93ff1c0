import type { Registry, RegistryContentType } from "prom-client";
import { BreakerState } from "../../core/breaker.js";
import type { RunStatus } from "../../core/status.js";
import { readEmergency } from "../../engine/emergency.js";
import type { OpenGateCount } from "../../store/gates.js";
import type { Store, WaitingCounts } from "../../store/store.js";
import { ReusedRead } from "./reused-read.js";

type Registers = Registry<RegistryContentType>[];

interface StoreFigures {
  at: number;
  runs: Record<RunStatus, number>;
  waiting: WaitingCounts;
  /** when the oldest pending run of each registered pipeline became due, or null */
  dueAt: Map<string, number | null>;
  breakers: { name: string; state: BreakerState }[];
  emergency: boolean;
  gates: OpenGateCount[];
}

/**
 * Gauges the store knows for the whole cluster, read when Prometheus scrapes, not kept current
 * by the node: a handful of indexed reads, reused as `ReusedRead` says (by the gauges of both
 * formats).
 */
export class StoreGauges {
  private readonly figures: ReusedRead<StoreFigures>;

  constructor(
    private readonly store: Store,
    cacheMs: number,
    clock: () => number = Date.now,
  ) {
    this.figures = new ReusedRead((at) => this.load(at), cacheMs, clock);
  }

  /** the gauges, in these registries; every set registered reads the same cached figures */
  register(registers: Registers): void {
    const gauge = this.figures.gaugesIn(registers);
    gauge("keel_runs", "Runs in the store by status (every node's)", ["status"], (g, f) => {
      for (const [status, count] of Object.entries(f.runs)) g.set({ status }, count);
    });
    gauge(
      "keel_queue_depth",
      "Pending runs in the store, due or scheduled, by pipeline (0 for a registered pipeline with none)",
      ["pipeline"],
      (g, f) => {
        for (const pipeline of f.dueAt.keys()) g.set({ pipeline }, 0);
        for (const { pipeline, runs } of f.waiting.pending) g.set({ pipeline }, runs);
      },
    );
    gauge(
      "keel_queue_oldest_due_age_seconds",
      "How long the oldest due pending run of each pipeline has waited (0 when none is due)",
      ["pipeline"],
      (g, f) => {
        for (const [pipeline, dueAt] of f.dueAt)
          g.set({ pipeline }, dueAt === null ? 0 : Math.max(0, f.at - dueAt) / 1000);
      },
    );
    gauge(
      "keel_quarantine_size",
      "Runs in quarantine in the store, by reason",
      ["reason"],
      (g, f) => {
        for (const { reason, runs } of f.waiting.quarantined) g.set({ reason }, runs);
      },
    );
    gauge(
      "keel_breaker_state",
      "1 for each breaker's current state (closed, open, half_open), 0 for the others",
      ["breaker", "state"],
      (g, f) => {
        for (const b of f.breakers)
          for (const state of Object.values(BreakerState))
            g.set({ breaker: b.name, state }, b.state === state ? 1 : 0);
      },
    );
    gauge(
      "keel_gates_open",
      "Runs waiting at an approval gate for a person's decision, by pipeline and gate",
      ["pipeline", "gate"],
      (g, f) => {
        for (const { pipeline, gate, runs } of f.gates) g.set({ pipeline, gate }, runs);
      },
    );
    gauge(
      "keel_gate_oldest_open_seconds",
      "How long the longest-waiting run at each approval gate has waited, by pipeline and gate",
      ["pipeline", "gate"],
      (g, f) => {
        for (const { pipeline, gate, oldestOpenedAt } of f.gates)
          g.set({ pipeline, gate }, Math.max(0, f.at - oldestOpenedAt) / 1000);
      },
    );
    gauge("keel_emergency_stop", "1 while the store-wide emergency stop is on", [], (g, f) =>
      g.set(f.emergency ? 1 : 0),
    );
  }

  private async load(at: number): Promise<StoreFigures> {
    const pipelines = [...new Set((await this.store.listPipelines()).map((p) => p.name))];
    const dueAt = new Map<string, number | null>();
    for (const pipeline of pipelines) dueAt.set(pipeline, await this.store.nextDueAt([pipeline]));
    return {
      at,
      runs: await this.store.countRunsByStatus(),
      waiting: await this.store.countWaiting(),
      dueAt,
      breakers: (await this.store.listBreakers()).map((b) => ({ name: b.name, state: b.state })),
      emergency: (await readEmergency(this.store)).on,
      gates: await this.store.countOpenGates(),
    };
  }
}
