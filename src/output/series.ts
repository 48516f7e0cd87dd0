/** A run's per-metric series, PRE then POST, as reports draw them (show, sparklines, the HTML report). */
import { snapshotsFromSamples } from '../app/snapshots.js';
import { isMeasurement } from '../core/stats/basic.js';
import type { Rules } from '../core/types.js';
import type { StoredSample } from '../store/types.js';

export interface MetricSeries {
  /** Raw values as reported (null where the metric was missing). */
  pre: unknown[];
  post: unknown[];
}

export interface RunSeries {
  /** Every metric seen, sorted. */
  names: string[];
  byMetric: Record<string, MetricSeries>;
}

export function runSeries(samples: readonly StoredSample[], rules: Rules): RunSeries {
  const snaps = snapshotsFromSamples(samples, rules);
  const names = [...new Set([...snaps.pre, ...snaps.post].flatMap((s) => Object.keys(s.metrics)))].sort();
  const byMetric = Object.fromEntries(names.map((n) => [n, { pre: snaps.pre.map((s) => s.metrics[n] ?? null), post: snaps.post.map((s) => s.metrics[n] ?? null) }]));
  return { names, byMetric };
}

/** Numbers only (anything else becomes a gap). */
export function numbers(values: readonly unknown[]): (number | null)[] {
  return values.map((v) => (isMeasurement(v) ? v : null));
}
