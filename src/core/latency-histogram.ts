/**
 * Step latency as a mergeable histogram: fixed log-spaced buckets, so histograms from any number
 * of nodes and minutes add up bucket by bucket into one, and a percentile over any time range is
 * read from the merged counts (per-minute percentiles could not be combined).
 *
 * Layout (part of the stored format: changing it needs a new telemetry kind, not an edit):
 * bucket 0 holds everything under 0.1 ms; bucket k (1..104) holds [0.1 ms * 2^((k-1)/4),
 * 0.1 ms * 2^(k/4)): four buckets per doubling, each about 19 % wide; bucket 105 holds 6,710.9 s
 * (about 1.9 h) and more. Sparse: a histogram maps a bucket index to its count, empty buckets left
 * out.
 */
export type LatencyHistogram = Record<number, number>;

const lowestMs = 0.1;
const perDoubling = 4;
/** the last bounded bucket; the next one is the overflow */
const topBucket = 104;
export const overflowBucket = topBucket + 1;

/** The exclusive upper bound of a bucket, ms (Infinity for the overflow bucket). */
export function bucketUpperMs(bucket: number): number {
  if (bucket >= overflowBucket) return Infinity;
  return lowestMs * 2 ** (bucket / perDoubling);
}

export function bucketOf(ms: number): number {
  if (!(ms >= lowestMs)) return 0; // also NaN and negatives: a clock that went backwards
  let bucket = Math.min(overflowBucket, Math.floor(perDoubling * Math.log2(ms / lowestMs)) + 1);
  // log2 rounds; settle values on a boundary into the bucket the layout says
  while (bucket < overflowBucket && ms >= bucketUpperMs(bucket)) bucket += 1;
  while (bucket > 1 && ms < bucketUpperMs(bucket - 1)) bucket -= 1;
  return bucket;
}

/** Adds `count` observations of `ms` to `histogram` (in place). */
export function observe(histogram: LatencyHistogram, ms: number, count = 1): void {
  const bucket = bucketOf(ms);
  histogram[bucket] = (histogram[bucket] ?? 0) + count;
}

/** Adds the counts of `from` to `into` (in place); returns `into`. */
export function addHistogram(into: LatencyHistogram, from: LatencyHistogram): LatencyHistogram {
  for (const bucket in from) into[bucket] = (into[bucket] ?? 0) + (from[bucket] as number);
  return into;
}

/** The 1-based rank of percentile `p` among `n` sorted values (0.07 * 100 is 7.000000000000001). */
export function nearestRank(p: number, n: number): number {
  return Math.min(n, Math.max(1, Math.ceil(p * n - 1e-9)));
}

/**
 * The nearest-rank percentile `p` (0 < p <= 1) as the upper bound of the bucket holding it, capped
 * at `maxMs` (the slowest observation, kept exactly). Never below the exact percentile, and at most
 * one bucket (about 19 %) above it. Null for an empty histogram.
 */
export function percentileMs(histogram: LatencyHistogram, p: number, maxMs: number): number | null {
  const buckets = Object.entries(histogram)
    .map(([bucket, count]) => [Number(bucket), count] as const)
    .filter(([, count]) => count > 0)
    .sort((a, b) => a[0] - b[0]);
  const total = buckets.reduce((sum, [, count]) => sum + count, 0);
  if (total === 0) return null;
  const rank = nearestRank(p, total);
  let seen = 0;
  for (const [bucket, count] of buckets) {
    seen += count;
    if (seen >= rank) return Math.min(bucketUpperMs(bucket), maxMs);
  }
  return maxMs;
}
