import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";
import {
  ConcurrencyController,
  type LimitChange,
  type PressureSample,
  type PressureState,
} from "./adaptive-concurrency.js";
import { readCpuStat, ThrottleWindow } from "./cgroup-cpu.js";
import type { Logger } from "./logger.js";
import type { ResolvedWorkerSettings } from "./worker-options.js";
import { StepLatency } from "./step-latency.js";

/**
 * How many runs a node may have in flight now. Fixed (`concurrency` set): that number, never
 * sampled. Adaptive: every `sampleMs` it reads the event-loop delay (perf_hooks), the growth of
 * step latency against its baseline, and the cgroup's CPU throttling, and lets the controller
 * (adaptive-concurrency.ts) move the limit. While pressure lasts, runs below
 * `deferBelowPriority` are not claimed.
 */
export interface WorkerLimitState {
  adaptive: boolean;
  limit: number;
  min: number;
  max: number;
  pressure: PressureState;
  lastChange: LimitChange | null;
  deferBelowPriority: number | null;
  /** true while runs below deferBelowPriority are held back */
  deferring: boolean;
  /** the cgroup cpu.stat read for throttling, or null when there is none */
  cgroupStat: string | null;
}

const noPressure: PressureState = Object.freeze({
  active: false,
  reason: null,
  signals: { eventLoopDelayMs: null, latencyGrowth: null, throttledRatio: null },
});

export class WorkerLimit {
  private readonly controller: ConcurrencyController | undefined;
  private readonly latency = new StepLatency();
  private readonly throttle = new ThrottleWindow();
  private histogram: IntervalHistogram | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastChange: LimitChange | null = null;
  private startedAt = 0;

  constructor(
    private readonly s: ResolvedWorkerSettings,
    private readonly log: Logger,
    private readonly onChange: (state: WorkerLimitState) => void,
  ) {
    if (s.fixed === null) this.controller = new ConcurrencyController({ ...s.tuning, ...s });
  }

  get limit(): number {
    return this.controller?.limit ?? (this.s.fixed as number);
  }

  /** the lowest priority claimed now, or undefined when every run may be claimed */
  get minPriority(): number | undefined {
    return this.deferring ? (this.s.deferBelowPriority as number) : undefined;
  }

  get state(): WorkerLimitState {
    return {
      adaptive: this.controller !== undefined,
      limit: this.limit,
      min: this.controller ? this.s.min : this.limit,
      max: this.controller ? this.s.max : this.limit,
      pressure: this.controller?.pressure ?? noPressure,
      lastChange: this.lastChange,
      deferBelowPriority: this.s.deferBelowPriority,
      deferring: this.deferring,
      cgroupStat: this.s.cgroupStat,
    };
  }

  private get deferring(): boolean {
    return this.s.deferBelowPriority !== null && (this.controller?.pressure.active ?? false);
  }

  start(): void {
    if (!this.controller || this.timer) return;
    if (!this.s.sample) {
      this.histogram = monitorEventLoopDelay({ resolution: 10 });
      this.histogram.enable();
    }
    this.startedAt = Date.now();
    this.timer = setInterval(() => this.tick(), this.s.sampleMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.histogram?.disable();
    this.histogram = undefined;
  }

  /** A finished step attempt's duration, for the latency signal. */
  recordStep(key: string, ms: number): void {
    if (this.controller) this.latency.record(key, ms);
  }

  private tick(): void {
    const controller = this.controller as ConcurrencyController;
    const at = Date.now();
    const sample: PressureSample = { at, ...(this.s.sample?.() ?? this.measure(at)) };
    // start-up's one-off work is not pressure: its samples are taken (the throttling window stays
    // whole) but not counted
    if (at - this.startedAt < this.s.startupGraceMs) return;
    const wasActive = controller.pressure.active;
    const change = controller.observe(sample);
    this.latency.close(controller.pressed);
    if (change) {
      this.lastChange = change;
      const fields = { from: change.from, to: change.to, ...sample };
      if (change.to < change.from)
        this.log.warn(fields, `concurrency limit ${change.from} -> ${change.to}: ${change.reason}`);
      else
        this.log.info(fields, `concurrency limit ${change.from} -> ${change.to}: ${change.reason}`);
    }
    if (change || wasActive !== controller.pressure.active) this.onChange(this.state);
  }

  private measure(at: number): Omit<PressureSample, "at"> {
    const h = this.histogram;
    const eventLoopDelayMs = h && h.count > 0 ? h.percentile(99) / 1e6 : null;
    h?.reset();
    const stat = this.s.cgroupStat ? readCpuStat(this.s.cgroupStat) : null;
    return {
      eventLoopDelayMs,
      latencyGrowth: this.latency.growth(),
      throttledRatio: stat ? this.throttle.add(at, stat) : null,
    };
  }
}
