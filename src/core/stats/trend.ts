/**
 * Trend inside a window: is the series moving steadily one way, and by how much? The Theil-Sen
 * slope (the median of pairwise slopes: one spike cannot tilt it), tested against the scatter of
 * the series around that line (a robust t-test of the slope), with the variance widened for the
 * serial dependence left in that scatter and the degrees of freedom it leaves. Unlike a sign-based
 * test (Mann-Kendall), this weighs how far the series moved against how much it wanders: a ramp
 * far larger than the wiggles around it is a trend even when the wiggles are smooth. Long series
 * are first reduced to bin medians, which keeps the pairwise work bounded. Pure.
 */
import { median, medianInPlace, sdFromAbsDeviations } from './basic.js';
import { inflation, lag1 } from './dependence.js';
import { upperStudent } from './distributions.js';
import { exponentRange, unitOf } from './scale.js';

const MAX_BINS = 48;
/** Values a bin's median is taken over at most (evenly spaced): bins of long windows hold hundreds. */
const MAX_BIN_SAMPLE = 64;

export interface Trend {
  /** One-sided p-value for an upward trend (small = rising). */
  pValueUp: number;
  /** One-sided p-value for a downward trend. */
  pValueDown: number;
  /** Theil-Sen slope per original sample. */
  slope: number;
  /** The line's value at the first sample. */
  intercept: number;
  points: number;
  /** Samples in the series. */
  length: number;
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
    ys.push(size > MAX_BIN_SAMPLE ? stridedMedian(series, i, size, space) : median(series, i, i + size, space));
  }
  const n = ys.length;
  // The scatter is squared (its autocorrelation): taken on the bin medians divided by a power of
  // two near the largest, so values past 1e154 (or below 1e-154) neither overflow nor vanish.
  const unit = unitOf(exponentRange(ys), 400);
  for (let i = 0; i < n; i++) ys[i] = ys[i]! / unit;
  const slopes: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const s = (ys[j]! - ys[i]!) / (xs[j]! - xs[i]!);
      if (!Number.isNaN(s)) slopes.push(s);
    }
  }
  const slope = median(slopes);
  const intercept = median(ys.map((y, i) => y - slope * xs[i]!));
  const residuals = ys.map((y, i) => y - intercept - slope * xs[i]!);
  const scale = sdFromAbsDeviations(Float64Array.from(residuals, Math.abs));
  const rho = lag1([residuals], 3 * scale);
  const meanX = xs.reduce((a, b) => a + b, 0) / n;
  const sxx = xs.reduce((a, x) => a + (x - meanX) ** 2, 0);
  const se = scale * Math.sqrt(inflation(rho) / sxx);
  const df = Math.max(2, (n - 2) * ((1 - rho * rho) / (1 + rho * rho)));
  const t = se > 0 ? slope / se : slope > 0 ? Number.POSITIVE_INFINITY : slope < 0 ? Number.NEGATIVE_INFINITY : 0;
  return { pValueUp: upperStudent(t, df), pValueDown: upperStudent(-t, df), slope: slope * unit, intercept: intercept * unit, points: n, length: series.length };
}

/** The trend's one-sided p-value in a direction (two-sided for `both`). */
export function trendPValue(t: Trend, direction: 'increase' | 'decrease' | 'both'): number {
  return direction === 'increase' ? t.pValueUp : direction === 'decrease' ? t.pValueDown : Math.min(1, 2 * Math.min(t.pValueUp, t.pValueDown));
}

/** Median of `size` values from `start`, over an evenly spaced subset of MAX_BIN_SAMPLE of them. */
function stridedMedian(series: ArrayLike<number>, start: number, size: number, space?: (n: number) => Float64Array): number {
  const work = space ? space(MAX_BIN_SAMPLE) : new Float64Array(MAX_BIN_SAMPLE);
  const step = size / MAX_BIN_SAMPLE;
  for (let j = 0; j < MAX_BIN_SAMPLE; j++) work[j] = series[start + Math.floor(j * step)]!;
  return medianInPlace(work.subarray(0, MAX_BIN_SAMPLE));
}
