import { Counter, Gauge, Histogram, type Registry, type RegistryContentType } from "prom-client";
import type { Keel } from "../../engine/keel.js";
import type { NodeEvents } from "../../engine/node-events.js";

type Registers = Registry<RegistryContentType>[];

const openMetricsType = "application/openmetrics-text";

/** step durations from 5 ms to 10 min: a no-op step and a long ingestion both land in a bucket */
const stepBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 600];
/** a person's wait at an approval gate, 1 min to 1 week; 24 h and 48 h are the runbook's thresholds */
const gateBuckets = [60, 300, 900, 3600, 4 * 3600, 12 * 3600, 86_400, 172_800, 604_800];

/**
 * Counters fed by the Keel's own events, as they happen: what this process submitted, the step
 * attempts and runs its node finished, the bytes its steps reported and the seconds it had work in
 * flight. A counter starts at 0 with the process, as Prometheus expects; the rollups in the store
 * (`keel telemetry`) are the history across restarts.
 */
export class RunMetrics {
  private readonly listeners: { [K in keyof NodeEvents]?: (...args: NodeEvents[K]) => void } = {};
  /** runs with a step begun here and not yet settled: their pipeline and since when */
  private readonly inFlight = new Map<string, { pipeline: string; since: number }>();
  private activeSince: number | null = null;
  private readonly active: Counter;

  constructor(
    private readonly keel: Keel,
    registers: Registers,
    private readonly clock: () => number = Date.now,
  ) {
    const submitted = new Counter({
      name: "keel_runs_submitted_total",
      help: "Runs created by submissions through this process, by pipeline",
      labelNames: ["pipeline"],
      registers,
    });
    const ended = new Counter({
      name: "keel_runs_ended_total",
      help: "Runs that ended on this node, by pipeline and status (succeeded, quarantined)",
      labelNames: ["pipeline", "status"],
      registers,
    });
    const quarantined = new Counter({
      name: "keel_quarantine_additions_total",
      help: "Runs this node quarantined, by pipeline and reason",
      labelNames: ["pipeline", "reason"],
      registers,
    });
    const attempts = new Counter({
      name: "keel_step_attempts_total",
      help: "Step attempts that finished on this node, by pipeline, step and outcome",
      labelNames: ["pipeline", "step", "outcome"],
      registers,
    });
    const failures = new Counter({
      name: "keel_step_failures_total",
      help: "Failed step attempts on this node, by pipeline, step and error code",
      labelNames: ["pipeline", "step", "code"],
      registers,
    });
    // exemplars (the run's trace id) exist in OpenMetrics only; prom-client refuses them elsewhere
    const exemplars = registers.every((r) => r.contentType.startsWith(openMetricsType));
    const duration = new Histogram({
      name: "keel_step_duration_seconds",
      help: "Duration of succeeded step attempts on this node, by pipeline and step",
      labelNames: ["pipeline", "step"],
      buckets: stepBuckets,
      registers,
      enableExemplars: exemplars,
    });
    const bytes = new Counter({
      name: "keel_bytes_processed_total",
      help: "Bytes steps reported through ctx.progress on this node, by pipeline",
      labelNames: ["pipeline"],
      registers,
    });
    this.active = new Counter({
      name: "keel_active_seconds_total",
      help: "Seconds this node had at least one run in flight; bytes over it is the rate while active",
      registers,
      // the open stretch counts up to the scrape, so a long run's rate is visible while it runs
      collect: () => this.takeActive(),
    });
    new Gauge({
      name: "keel_run_longest_running_seconds",
      help: "How long the longest run in flight on this node has been executing here, by pipeline",
      labelNames: ["pipeline"],
      registers,
      collect: function (this: Gauge) {
        this.reset();
        const now = clock();
        for (const [pipeline, since] of longest()) this.set({ pipeline }, (now - since) / 1000);
      },
    });
    const longest = () => {
      const oldest = new Map<string, number>();
      for (const { pipeline, since } of this.inFlight.values())
        oldest.set(pipeline, Math.min(since, oldest.get(pipeline) ?? since));
      return oldest;
    };
    this.on("submitted", (e) => {
      if (e.created) submitted.inc({ pipeline: e.pipeline });
    });
    this.on("step", (e) => {
      // a node's own "started" is not relayed to its Keel: a run's first step marks it in flight
      if (e.status === "running") return this.started(e.runId, e.pipeline);
      attempts.inc({ pipeline: e.pipeline, step: e.step, outcome: e.status });
      if (e.status === "succeeded" && e.ms !== undefined) {
        if (!exemplars) duration.observe({ pipeline: e.pipeline, step: e.step }, e.ms / 1000);
        else
          duration.observe({
            labels: { pipeline: e.pipeline, step: e.step },
            value: e.ms / 1000,
            // prom-client types exemplar labels as the metric's own; any names are valid
            exemplarLabels: { trace_id: e.traceId } as never,
          });
      }
      if (e.status === "failed")
        failures.inc({ pipeline: e.pipeline, step: e.step, code: e.error?.code ?? "unknown" });
    });
    this.on("settled", (e) => {
      this.settled(e.runId);
      if (!e.ended) return;
      ended.inc({ pipeline: e.pipeline, status: e.ended.status });
      if (e.ended.quarantineReason !== null)
        quarantined.inc({ pipeline: e.pipeline, reason: e.ended.quarantineReason });
    });
    const gateWait = new Histogram({
      name: "keel_gate_wait_seconds",
      help: "How long runs waited at an approval gate for its decision (applied on this node), by pipeline and gate",
      labelNames: ["pipeline", "gate"],
      buckets: gateBuckets,
      registers,
    });
    this.on("gate", (e) => {
      if (e.status !== "open")
        gateWait.observe({ pipeline: e.pipeline, gate: e.gate }, e.waitedMs / 1000);
    });
    this.on("progress", (e) => {
      if (Number.isFinite(e.bytes) && e.bytes >= 0) bytes.inc({ pipeline: e.pipeline }, e.bytes);
    });
  }

  close(): void {
    for (const [name, listener] of Object.entries(this.listeners))
      this.keel.off(name as keyof NodeEvents, listener as never);
  }

  private on<K extends keyof NodeEvents>(
    name: K,
    listener: (...args: NodeEvents[K]) => void,
  ): void {
    (this.listeners as Record<K, typeof listener>)[name] = listener;
    this.keel.on(name as never, listener as never);
  }

  private started(runId: string, pipeline: string): void {
    if (this.inFlight.has(runId)) return;
    if (this.inFlight.size === 0) this.activeSince = this.clock();
    this.inFlight.set(runId, { pipeline, since: this.clock() });
  }

  private settled(runId: string): void {
    if (!this.inFlight.delete(runId) || this.inFlight.size > 0) return;
    this.takeActive();
    this.activeSince = null;
  }

  /** adds the seconds since the last take while work is in flight */
  private takeActive(): void {
    if (this.activeSince === null) return;
    const now = this.clock();
    this.active.inc(Math.max(0, now - this.activeSince) / 1000);
    this.activeSince = now;
  }
}
