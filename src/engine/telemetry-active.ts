import { minuteMs, minuteOf } from "../store/telemetry.js";

/**
 * The time work was in flight, per pipeline: from the moment a node starts its first run of the
 * pipeline until it has none left, cut at minute boundaries. A rate over it ("while working") is
 * what a burst reaches, where a rate over the whole minute or range is diluted by idle time.
 */
export interface ActiveSlice {
  minute: number;
  pipeline: string;
  ms: number;
}

export class ActiveClock {
  private readonly open = new Map<string, { runs: number; since: number }>();

  started(pipeline: string, at: number): void {
    const entry = this.open.get(pipeline);
    if (entry) entry.runs += 1;
    else this.open.set(pipeline, { runs: 1, since: at });
  }

  /** a run left the node: when it was the pipeline's last one, its time in flight is closed */
  ended(pipeline: string, at: number): ActiveSlice[] {
    const entry = this.open.get(pipeline);
    if (!entry) return [];
    entry.runs -= 1;
    if (entry.runs > 0) return [];
    this.open.delete(pipeline);
    return slices(pipeline, entry.since, at);
  }

  /** the time in flight so far of pipelines still busy, so a flush need not wait for them to idle */
  takeOpen(at: number): ActiveSlice[] {
    const out: ActiveSlice[] = [];
    for (const [pipeline, entry] of this.open) {
      out.push(...slices(pipeline, entry.since, at));
      entry.since = Math.max(entry.since, at);
    }
    return out;
  }
}

function slices(pipeline: string, from: number, to: number): ActiveSlice[] {
  const out: ActiveSlice[] = [];
  for (let minute = minuteOf(from); minute < to; minute += minuteMs) {
    const ms = Math.min(to, minute + minuteMs) - Math.max(from, minute);
    if (ms > 0) out.push({ minute, pipeline, ms });
  }
  return out;
}
