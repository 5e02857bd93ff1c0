import { addHistogram } from "../core/latency-histogram.js";
import type { TelemetryIncrement } from "../store/telemetry.js";

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
    // joined by a character no pipeline or step name may hold, the free-form label last: one
    // key per tuple, and cheaper than the JSON array every step's latency paid for
    const key = `${inc.minute}\u0000${inc.pipeline}\u0000${inc.step}\u0000${inc.kind}\u0000${inc.label}`;
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
