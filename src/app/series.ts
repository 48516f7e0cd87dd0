/** A run's stored samples as the series reports draw (output/series.ts): one value per answered tick, PRE then POST. */
import type { MetricSnapshot, Phase, Rules } from '../core/types.js';
import type { MetricSeries, RunSeries } from '../output/series.js';
import type { Store, StoredSample } from '../store/types.js';
import { samplePages, snapshotsFromSamples, ticksFrom } from './snapshots.js';

export function runSeries(samples: readonly StoredSample[], rules: Rules): RunSeries {
  const snaps = snapshotsFromSamples(samples, rules);
  const series = new SeriesBuilder();
  for (const phase of ['pre', 'post'] as const) for (const s of snaps[phase]) series.add(phase, s);
  return series.done();
}

/** runSeries read from the store page by page: a long window's samples are never all in memory at once. */
export async function storedRunSeries(store: Pick<Store, 'samplesAfter'>, runId: string, rules: Rules): Promise<RunSeries> {
  const series = new SeriesBuilder();
  for await (const { phase, snapshot } of ticksFrom(samplePages(store, runId), rules)) if (snapshot) series.add(phase, snapshot);
  return series.done();
}

/** Series grown tick by tick; a metric first seen late gets nulls for the ticks before. */
class SeriesBuilder {
  private readonly byMetric = new Map<string, MetricSeries>();
  private readonly times: RunSeries['times'] = { pre: [], post: [] };

  add(phase: Phase, snapshot: MetricSnapshot): void {
    const metrics = snapshot.metrics;
    const ticks = this.times[phase].length;
    for (const name of Object.keys(metrics)) {
      if (!this.byMetric.has(name)) this.byMetric.set(name, { pre: new Array<unknown>(this.times.pre.length).fill(null), post: new Array<unknown>(this.times.post.length).fill(null) });
    }
    for (const [name, series] of this.byMetric) series[phase][ticks] = (Object.hasOwn(metrics, name) ? metrics[name] : undefined) ?? null;
    const at = snapshot.timestamp === undefined ? Number.NaN : Date.parse(snapshot.timestamp);
    this.times[phase].push(Number.isNaN(at) ? null : at);
  }

  done(): RunSeries {
    const names = [...this.byMetric.keys()].sort();
    // No prototype: looked up by names that came from outside (`constructor`, `__proto__`...).
    const byMetric = Object.create(null) as Record<string, MetricSeries>;
    for (const n of names) byMetric[n] = this.byMetric.get(n)!;
    return { names, byMetric, times: this.times };
  }
}
