/** A run's per-metric series, PRE then POST, as reports draw them (show, sparklines, the HTML report); built by app/series.ts. */
import { isMeasurement } from '../core/stats/basic.js';

export interface MetricSeries {
  /** Raw values as reported (null where the metric was missing). */
  pre: unknown[];
  post: unknown[];
}

export interface RunSeries {
  /** Every metric seen, sorted. */
  names: string[];
  byMetric: Record<string, MetricSeries>;
  /** When each tick of the series was sampled (epoch ms; null when unknown), one per value. */
  times: { pre: (number | null)[]; post: (number | null)[] };
}

/** Numbers only (anything else becomes a gap). */
export function numbers(values: readonly unknown[]): (number | null)[] {
  return values.map((v) => (isMeasurement(v) ? v : null));
}
