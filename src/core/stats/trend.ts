/**
 * Trend inside the POST window: Mann-Kendall for "is it rising steadily?" and the Theil-Sen
 * slope for "by how much?". Long series are first reduced to bin medians, which keeps the
 * pairwise work bounded and the test robust to single spikes. Pure.
 */
import { median } from './basic.js';
import { upperNormal } from './rank-sum.js';

const MAX_BINS = 48;

export interface Trend {
  /** One-sided p-value for an upward trend (small = rising). */
  pValueUp: number;
  /** One-sided p-value for a downward trend. */
  pValueDown: number;
  /** Theil-Sen slope per original sample. */
  slope: number;
  points: number;
}

/** `space`: work space for the bin medians, as `median` takes it. */
export function trendOf(series: ArrayLike<number>, space?: (n: number) => Float64Array): Trend | undefined {
  if (series.length < 6) return undefined;
  const binSize = Math.ceil(series.length / MAX_BINS);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < series.length; i += binSize) {
    const size = Math.min(binSize, series.length - i);
    xs.push(i + (size - 1) / 2);
    ys.push(median(series, i, i + size, space));
  }
  const n = ys.length;
  let s = 0;
  const slopes: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      s += Math.sign(ys[j]! - ys[i]!);
      slopes.push((ys[j]! - ys[i]!) / (xs[j]! - xs[i]!));
    }
  }
  const sd = Math.sqrt((n * (n - 1) * (2 * n + 5)) / 18);
  const z = s === 0 ? 0 : (s - Math.sign(s)) / sd;
  return { pValueUp: upperNormal(z), pValueDown: upperNormal(-z), slope: median(slopes), points: n };
}
