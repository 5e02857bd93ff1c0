/**
 * The adaptive concurrency controller: how many runs a node may have in flight, between `min`
 * and `max`, decided from samples of CPU pressure (taken every ~250 ms by worker-limit.ts).
 *
 * AIMD, as TCP and Netflix's concurrency-limits do it:
 * - a sample is **under pressure** when any signal is over its threshold: event-loop delay (p99
 *   of the window) >= `eventLoopDelayMs`, step latency >= `latencyGrowth` x its baseline, or the
 *   cgroup throttled in >= `throttledRatio` of its CPU periods;
 * - under pressure the limit is cut multiplicatively, to floor(limit x `decreaseFactor`) (at
 *   least one less), at most once per `decreaseEveryMs` so each cut can show its effect first;
 * - after `growAfterMs` without pressure it grows by one, and again after each further
 *   `growAfterMs`, back up to `max`;
 * - `pressure.active` holds from the first sample under pressure until the limit is back at `max`
 *   and a further `growAfterMs` passed calmly: while it holds, low-priority runs are deferred.
 * Pure: samples carry their time, so tests feed it directly.
 */
export interface PressureSample {
  at: number;
  /** p99 event-loop delay over the window, ms */
  eventLoopDelayMs: number | null;
  /** step durations over their baselines in the window (1 = as usual); null without enough data */
  latencyGrowth: number | null;
  /** share of the cgroup's CPU periods that were throttled, 0-1; null without cgroup counters */
  throttledRatio: number | null;
}

export interface ControllerSettings {
  min: number;
  max: number;
  eventLoopDelayMs: number;
  latencyGrowth: number;
  throttledRatio: number;
  decreaseFactor: number;
  decreaseEveryMs: number;
  growAfterMs: number;
}

export const defaultControllerTuning: Readonly<Omit<ControllerSettings, "min" | "max">> =
  Object.freeze({
    eventLoopDelayMs: 100,
    latencyGrowth: 2,
    throttledRatio: 0.2,
    decreaseFactor: 0.7,
    decreaseEveryMs: 1000,
    growAfterMs: 1000,
  });

export interface LimitChange {
  at: number;
  from: number;
  to: number;
  reason: string;
}

export interface PressureState {
  active: boolean;
  /** what the last sample under pressure showed, or null */
  reason: string | null;
  signals: Omit<PressureSample, "at">;
}

export class ConcurrencyController {
  private current: number;
  private active = false;
  private reason: string | null = null;
  private over = false;
  private lastCutAt = -Infinity;
  private calmSince: number | null = null;
  private lastSignals: Omit<PressureSample, "at"> = {
    eventLoopDelayMs: null,
    latencyGrowth: null,
    throttledRatio: null,
  };

  constructor(private readonly s: ControllerSettings) {
    this.current = s.max;
  }

  get limit(): number {
    return this.current;
  }

  /** whether the last sample was over a threshold */
  get pressed(): boolean {
    return this.over;
  }

  get pressure(): PressureState {
    return { active: this.active, reason: this.reason, signals: this.lastSignals };
  }

  /** Takes one sample; returns the change of limit it caused, if any. */
  observe(sample: PressureSample): LimitChange | null {
    const { at, ...signals } = sample;
    this.lastSignals = signals;
    const over = this.overThresholds(sample);
    this.over = over.length > 0;
    if (this.over) {
      this.active = true;
      this.reason = over.join("; ");
      this.calmSince = null;
      if (this.current <= this.s.min || at - this.lastCutAt < this.s.decreaseEveryMs) return null;
      this.lastCutAt = at;
      const to = Math.max(
        this.s.min,
        Math.min(this.current - 1, Math.floor(this.current * this.s.decreaseFactor)),
      );
      return this.change(at, to, `CPU pressure: ${this.reason}`);
    }
    this.calmSince ??= at;
    if (at - this.calmSince < this.s.growAfterMs) return null;
    this.calmSince = at;
    if (this.current < this.s.max)
      return this.change(
        at,
        this.current + 1,
        `no CPU pressure for ${this.s.growAfterMs / 1000} s`,
      );
    this.active = false;
    return null;
  }

  private change(at: number, to: number, reason: string): LimitChange {
    const from = this.current;
    this.current = to;
    return { at, from, to, reason };
  }

  private overThresholds(p: PressureSample): string[] {
    const out: string[] = [];
    if (p.eventLoopDelayMs !== null && p.eventLoopDelayMs >= this.s.eventLoopDelayMs)
      out.push(
        `event-loop delay p99 ${Math.round(p.eventLoopDelayMs)} ms (>= ${this.s.eventLoopDelayMs} ms)`,
      );
    if (p.latencyGrowth !== null && p.latencyGrowth >= this.s.latencyGrowth)
      out.push(
        `step latency x${p.latencyGrowth.toFixed(1)} of its baseline (>= x${this.s.latencyGrowth})`,
      );
    if (p.throttledRatio !== null && p.throttledRatio >= this.s.throttledRatio)
      out.push(
        `cgroup CPU throttled in ${Math.round(p.throttledRatio * 100)}% of periods (>= ${Math.round(this.s.throttledRatio * 100)}%)`,
      );
    return out;
  }
}
