/**
 * How long this node takes to answer its health checks (`/health`, `/v1/health`): the last
 * requests' handling times, and their percentiles over a recent window. A slow health check is an
 * early sign of an overloaded control plane (an alert at p95 > 100 ms is usual), and a load
 * balancer only sees that it timed out; this says by how much before it does.
 */
export interface HealthLatencySummary {
  /** requests in the window */
  samples: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  /** the window: the last `capacity` requests, at most this old (ms) */
  window_ms: number;
}

const capacity = 1024;
const windowMs = 10 * 60_000;

export class HealthLatency {
  private readonly ms = new Float64Array(capacity);
  private readonly at = new Float64Array(capacity);
  private next = 0;
  private filled = 0;
  /** every request measured since the node's API started */
  total = 0;

  constructor(private readonly clock: () => number = Date.now) {}

  record(ms: number): void {
    this.ms[this.next] = ms;
    this.at[this.next] = this.clock();
    this.next = (this.next + 1) % capacity;
    this.filled = Math.min(this.filled + 1, capacity);
    this.total++;
  }

  /** the percentiles of the requests in the window; null when there were none */
  summary(): HealthLatencySummary | null {
    const since = this.clock() - windowMs;
    const recent: number[] = [];
    for (let i = 0; i < this.filled; i++) if (this.at[i]! >= since) recent.push(this.ms[i]!);
    if (recent.length === 0) return null;
    recent.sort((a, b) => a - b);
    // nearest rank: the smallest value with at least q of the samples at or below it
    const rank = (q: number) => recent[Math.max(0, Math.ceil(q * recent.length) - 1)]!;
    const round = (v: number) => Math.round(v * 1000) / 1000;
    return {
      samples: recent.length,
      p50_ms: round(rank(0.5)),
      p95_ms: round(rank(0.95)),
      p99_ms: round(rank(0.99)),
      window_ms: windowMs,
    };
  }
}
