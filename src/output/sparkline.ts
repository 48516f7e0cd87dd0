/**
 * One-line terminal charts: PRE and POST of a metric on one shared scale, with that scale printed.
 * With the verdict's result, the scale also spans the range the rule allowed (allowed.ts): noise
 * well inside the threshold stays low instead of filling the whole height.
 */
import { maxOf } from '../core/stats/basic.js';
import type { MetricResult } from '../core/types.js';
import { formatNumber } from '../core/wording.js';
import { allowedRange } from './allowed.js';
import { numbers, type MetricSeries, type RunSeries } from './series.js';
import { forDisplay, NAME_WIDTH } from './terminal.js';

const BARS = '▁▂▃▄▅▆▇█';

/** `values` scaled between `min` and `max` into block characters; at most `width` of them (evenly picked). */
export function sparkline(values: readonly (number | null)[], min: number, max: number, maxWidth = 30): string {
  const width = Math.max(2, maxWidth);
  // The first and the last values are always drawn: where the series starts and where it ended up.
  const picked = values.length <= width ? values : Array.from({ length: width }, (_, i) => values[Math.round((i * (values.length - 1)) / (width - 1))]!);
  const span = max - min;
  return picked
    .map((v) => {
      if (v === null) return ' ';
      const level = span > 0 ? Math.round(((v - min) / span) * (BARS.length - 1)) : 0;
      return BARS[Math.min(BARS.length - 1, Math.max(0, level))];
    })
    .join('');
}

/**
 * `▁▂▁▂ │ ▃▅▇█  0.01–0.09`: both phases on one scale (so a step up shows as one), the scale's
 * bottom and top printed after them. `result`: the metric's verdict, whose allowed range the
 * scale then includes.
 */
export function phaseSparklines(series: MetricSeries, width = 24, result?: MetricResult): string {
  const parts = sparkParts(series, width, result);
  return parts ? `${parts.pre || '—'} │ ${parts.post || '—'}  ${parts.scale}` : '(no numeric values)';
}

function sparkParts(series: MetricSeries, width: number, result?: MetricResult): { pre: string; post: string; scale: string } | undefined {
  const [pre, post] = [numbers(series.pre), numbers(series.post)];
  let [min, max] = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
  for (const v of [...pre, ...post]) if (v !== null) [min, max] = [Math.min(min, v), Math.max(max, v)];
  if (min > max) return undefined;
  const allowed = result ? allowedRange(result) : undefined;
  if (allowed) [min, max] = [Math.min(min, allowed.from), Math.max(max, allowed.to)];
  const scale = min === max ? formatNumber(min) : `${formatNumber(min)}–${formatNumber(max)}`;
  return { pre: sparkline(pre, min, max, width), post: sparkline(post, min, max, width), scale };
}

/** The judged metrics' series under a verdict: name, PRE │ POST in columns, the scale of each. */
export function renderSparklines(metricNames: readonly string[], series: RunSeries, dim: (s: string) => string, results: readonly MetricResult[] = []): string {
  const shown = metricNames.filter((n) => series.byMetric[n]);
  if (shown.length === 0) return '';
  // Names come from the app: shown escaped and shortened (terminal.ts).
  const label = (n: string) => forDisplay(n, NAME_WIDTH);
  const width = maxOf(shown.map((n) => label(n).length));
  const rows = shown.map((n) => ({ name: n, parts: sparkParts(series.byMetric[n]!, WIDTH, results.find((r) => r.name === n)) }));
  const preWidth = Math.max(3, maxOf(rows.map((r) => r.parts?.pre.length ?? 0)));
  const postWidth = Math.max(4, maxOf(rows.map((r) => r.parts?.post.length ?? 0)));
  const scale = results.length > 0 ? 'scale (values and allowed range)' : 'scale';
  return [
    dim(`  ${''.padEnd(width)}  ${'PRE'.padEnd(preWidth)}   ${'POST'.padEnd(postWidth)}  ${scale}`),
    ...rows.map(({ name, parts }) =>
      `  ${label(name).padEnd(width)}  ${parts ? `${(parts.pre || '—').padEnd(preWidth)} │ ${(parts.post || '—').padEnd(postWidth)}  ${parts.scale}` : '(no numeric values)'}`,
    ),
  ].join('\n');
}

const WIDTH = 24;
