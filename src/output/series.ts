/** A run's per-metric series, PRE then POST, as reports draw them (show, sparklines, the HTML report). */
import { samplePages, snapshotsFromSamples, ticksFrom } from '../app/snapshots.js';
import { isMeasurement } from '../core/stats/basic.js';
import type { Phase, Rules } from '../core/types.js';
import type { Store, StoredSample } from '../store/types.js';

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
  const series = new SeriesBuilder();
  for (const phase of ['pre', 'post'] as const) for (const s of snaps[phase]) series.add(phase, s.metrics);
  return series.done();
}

/** runSeries read from the store page by page: a long window's samples are never all in memory at once. */
export async function storedRunSeries(store: Pick<Store, 'samplesAfter'>, runId: string, rules: Rules): Promise<RunSeries> {
  const series = new SeriesBuilder();
  for await (const { phase, snapshot } of ticksFrom(samplePages(store, runId), rules)) if (snapshot) series.add(phase, snapshot.metrics);
  return series.done();
}

/** Series grown tick by tick; a metric first seen late gets nulls for the ticks before. */
class SeriesBuilder {
  private readonly byMetric = new Map<string, MetricSeries>();
  private readonly ticks = { pre: 0, post: 0 };

  add(phase: Phase, metrics: Record<string, unknown>): void {
    for (const name of Object.keys(metrics)) {
      if (!this.byMetric.has(name)) this.byMetric.set(name, { pre: new Array<unknown>(this.ticks.pre).fill(null), post: new Array<unknown>(this.ticks.post).fill(null) });
    }
    for (const [name, series] of this.byMetric) series[phase].push((Object.hasOwn(metrics, name) ? metrics[name] : undefined) ?? null);
    this.ticks[phase]++;
  }

  done(): RunSeries {
    const names = [...this.byMetric.keys()].sort();
    // No prototype: looked up by names that came from outside (`constructor`, `__proto__`...).
    const byMetric = Object.create(null) as Record<string, MetricSeries>;
    for (const n of names) byMetric[n] = this.byMetric.get(n)!;
    return { names, byMetric };
  }
}

/** Numbers only (anything else becomes a gap). */
export function numbers(values: readonly unknown[]): (number | null)[] {
  return values.map((v) => (isMeasurement(v) ? v : null));
}
