/**
 * The quantile of a classic histogram from its cumulative buckets, computed exactly the way
 * Prometheus' `histogram_quantile` does (promql/quantile.go, `bucketQuantile`): linear
 * interpolation inside the bucket the rank falls in, the lowest bucket starting at 0, and a rank
 * in the +Inf bucket answered with the highest finite upper bound. Pure.
 */

export interface Bucket {
  /** The `le` label as a number (+Inf for the last bucket). */
  upperBound: number;
  /** Cumulative count of observations <= upperBound. */
  count: number;
}

/** NaN when there is no answer: fewer than 2 buckets, no +Inf bucket, or no observation. */
export function bucketQuantile(q: number, input: readonly Bucket[]): number {
  if (Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const buckets = [...input].sort((a, b) => a.upperBound - b.upperBound);
  if (buckets.length < 2) return NaN;
  if (buckets[buckets.length - 1]!.upperBound !== Infinity) return NaN;
  ensureMonotonic(buckets);

  const observations = buckets[buckets.length - 1]!.count;
  if (observations === 0 || Number.isNaN(observations)) return NaN;
  let rank = q * observations;
  let b = buckets.findIndex((bucket) => bucket.count >= rank);
  if (b === -1) b = buckets.length - 1;
  if (b === buckets.length - 1) return buckets[buckets.length - 2]!.upperBound;
  if (b === 0 && buckets[0]!.upperBound <= 0) return buckets[0]!.upperBound;

  let bucketStart = 0;
  const bucketEnd = buckets[b]!.upperBound;
  let count = buckets[b]!.count;
  if (b > 0) {
    bucketStart = buckets[b - 1]!.upperBound;
    count -= buckets[b - 1]!.count;
    rank -= buckets[b - 1]!.count;
  }
  return bucketStart + (bucketEnd - bucketStart) * (rank / count);
}

/**
 * Cumulative counts can come out non-monotonic when bucket deltas are taken across a scrape
 * race or a partial reset; like Prometheus, a bucket is never allowed below the one before it.
 */
function ensureMonotonic(buckets: Bucket[]): void {
  let max = -Infinity;
  for (const bucket of buckets) {
    if (bucket.count > max) max = bucket.count;
    else if (bucket.count < max) bucket.count = max;
  }
}
