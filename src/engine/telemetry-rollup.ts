import { addHistogram, observe, type LatencyHistogram } from "../core/latency-histogram.js";
import { telemetryIncrement, type TelemetryIncrement } from "../store/telemetry.js";

/**
 * Telemetry increments summed in memory by key (minute, pipeline, step, kind, label), the way the
 * store sums rows: counts and totals add up, the larger max stays, histograms merge. A node holds
 * one between flushes; reports use one to sum stored minutes into hours.
 */
export class TelemetryRollup {
  private readonly rows = new Map<string, TelemetryIncrement>();

  get size(): number {
    return this.rows.size;
  }

  add(inc: TelemetryIncrement): void {
    const key = keyOf(inc.minute, inc.pipeline, inc.step, inc.kind, inc.label);
    const held = this.rows.get(key);
    if (!held) {
      this.rows.set(key, { ...inc, histogram: inc.histogram && { ...inc.histogram } });
      return;
    }
    held.count += inc.count;
    held.total += inc.total;
    if (inc.max !== null) held.max = held.max === null ? inc.max : Math.max(held.max, inc.max);
    // the held histogram is this rollup's own copy: counts are added in place
    if (inc.histogram)
      held.histogram = held.histogram
        ? addHistogram(held.histogram, inc.histogram)
        : { ...inc.histogram };
  }

  /**
   * One successful step's latency. Counted in place when its minute's row is held already, as it
   * is for all but the first step of a minute: an increment with a histogram of its own per step
   * was 2 KB of garbage for each run.
   */
  addLatency(minute: number, pipeline: string, step: string, ms: number): void {
    const held = this.rows.get(keyOf(minute, pipeline, step, "latency", ""));
    if (held?.histogram) {
      held.count += 1;
      held.total += ms;
      held.max = held.max === null ? ms : Math.max(held.max, ms);
      observe(held.histogram, ms);
      return;
    }
    const histogram: LatencyHistogram = {};
    observe(histogram, ms);
    this.add(
      telemetryIncrement({
        minute,
        pipeline,
        step,
        kind: "latency",
        label: "",
        total: ms,
        max: ms,
        histogram,
      }),
    );
  }

  values(): TelemetryIncrement[] {
    return [...this.rows.values()];
  }

  /** Everything held, in the order first added; the rollup is empty afterwards. */
  take(): TelemetryIncrement[] {
    const all = this.values();
    this.rows.clear();
    return all;
  }

  /** Drops the oldest minutes until at most `limit` rows are left; returns how many went. */
  trim(limit: number): number {
    if (this.rows.size <= limit) return 0;
    const byAge = [...this.rows.entries()].sort((a, b) => a[1].minute - b[1].minute);
    const drop = byAge.slice(0, this.rows.size - limit);
    for (const [key] of drop) this.rows.delete(key);
    return drop.length;
  }
}

/**
 * Joined by a character no pipeline or step name may hold, the free-form label last: one key per
 * tuple, and cheaper than the JSON array every step's latency paid for.
 */
function keyOf(
  minute: number,
  pipeline: string,
  step: string,
  kind: string,
  label: string,
): string {
  return `${minute}\u0000${pipeline}\u0000${step}\u0000${kind}\u0000${label}`;
}
