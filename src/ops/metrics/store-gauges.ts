import { Gauge, type Registry, type RegistryContentType } from "prom-client";
import { BreakerState } from "../../core/breaker.js";
import type { RunStatus } from "../../core/status.js";
import { readEmergency } from "../../engine/emergency.js";
import type { OpenGateCount } from "../../store/gates.js";
import type { Store, WaitingCounts } from "../../store/store.js";

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
 * by the node: a handful of indexed reads, reused for `cacheMs` (by the gauges of both formats) so
 * that a scrape every second (or two Prometheus servers scraping) costs the store one read of each
 * per second at most. The counts walk every pending and quarantined run, so on a deep queue the
 * reuse stretches to 500 times the last read's duration (at most 30 s): the reads then take at most
 * 0.2 % of the node's time however often it is scraped (the scrape budget is 2 % in all).
 */
const readShare = 500;
const longestReuseMs = 30_000;

export class StoreGauges {
  private figures: StoreFigures | undefined;
  private reading: Promise<StoreFigures> | undefined;
  /** how long the figures of the last read are reused: cacheMs, or longer after a slow read */
  private reuseMs: number;

  constructor(
    private readonly store: Store,
    private readonly cacheMs: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.reuseMs = cacheMs;
  }

  /** the gauges, in these registries; every set registered reads the same cached figures */
  register(registers: Registers): void {
    const gauge = (
      name: string,
      help: string,
      labelNames: string[],
      set: (g: Gauge, f: StoreFigures) => void,
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
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- collect() gets the gauge as this
    const self = this;
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

  /** the figures of the last read while they are fresh; one read at a time otherwise */
  private read(): Promise<StoreFigures> {
    const now = this.clock();
    if (this.figures && now - this.figures.at < this.reuseMs) return Promise.resolve(this.figures);
    this.reading ??= this.load(now).finally(() => (this.reading = undefined));
    return this.reading;
  }

  private async load(at: number): Promise<StoreFigures> {
    const started = performance.now();
    const pipelines = [...new Set((await this.store.listPipelines()).map((p) => p.name))];
    const dueAt = new Map<string, number | null>();
    for (const pipeline of pipelines) dueAt.set(pipeline, await this.store.nextDueAt([pipeline]));
    const figures: StoreFigures = {
      at,
      runs: await this.store.countRunsByStatus(),
      waiting: await this.store.countWaiting(),
      dueAt,
      breakers: (await this.store.listBreakers()).map((b) => ({ name: b.name, state: b.state })),
      emergency: (await readEmergency(this.store)).on,
      gates: await this.store.countOpenGates(),
    };
    this.figures = figures;
    const took = performance.now() - started;
    this.reuseMs = Math.max(this.cacheMs, Math.min(longestReuseMs, took * readShare));
    return figures;
  }
}
