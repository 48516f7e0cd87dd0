/** One-line terminal charts: PRE and POST on one shared scale, a gap where a value was missing. */
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

/** `PRE ▁▂▁▂ │ POST ▃▅▇█`, on the scale of both phases together, so a step up shows as one. */
export function phaseSparklines(series: MetricSeries, width = 24): string {
  const [pre, post] = [numbers(series.pre), numbers(series.post)];
  let [min, max] = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
  for (const v of [...pre, ...post]) if (v !== null) [min, max] = [Math.min(min, v), Math.max(max, v)];
  if (min > max) return '(no numeric values)';
  return `${sparkline(pre, min, max, width) || '—'} │ ${sparkline(post, min, max, width) || '—'}`;
}

/** The judged metrics' series under a verdict: name, PRE │ POST. */
export function renderSparklines(metricNames: readonly string[], series: RunSeries, dim: (s: string) => string): string {
  const shown = metricNames.filter((n) => series.byMetric[n]);
  if (shown.length === 0) return '';
  // Names come from the app: shown escaped and shortened (terminal.ts).
  const label = (n: string) => forDisplay(n, NAME_WIDTH);
  const width = Math.max(...shown.map((n) => label(n).length));
  return [dim(`  ${''.padEnd(width)}  PRE${' '.repeat(22)}POST`), ...shown.map((n) => `  ${label(n).padEnd(width)}  ${phaseSparklines(series.byMetric[n]!)}`)].join('\n');
}
