/**
 * Evaluates a parsed scrape expression against two scrapes of one target: `current`, and
 * `previous`, the last successful scrape of the same target in the same phase. Pure.
 *
 * - A bare selector is a gauge: the sum of the matching series now; on a counter the page exposes
 *   but with no series for those labels, 0 (it counted nothing yet). Raw counters so selected
 *   (`errors_total`, `requests_total`) give the judge exact counts from their deltas.
 * - `rate(sel)` is the per-second increase between the two scrapes, summed over the matching
 *   series. A value lower than before means the counter restarted (the process did): its increase
 *   is then the new value, as in Prometheus. A series new since the previous scrape counts from 0,
 *   because client libraries create a labelled series on its first increment.
 * - `quantile(q, h)` is the quantile of the observations made between the two scrapes, from the
 *   increases of `h_bucket` (summed per `le` over the matching series), as `histogram_quantile`.
 *
 * The caller takes `previous` from the same process (processKey): two processes' counters have no
 * difference that is an increase.
 *
 * "No value" (undefined) is never turned into 0: no previous scrape, a metric the target does not
 * expose, a gauge with no matching series, a histogram without observations in between, a
 * division by zero, or anything not finite.
 */
import { bucketQuantile, type Bucket } from './bucket-quantile.js';
import { bucketBound, seriesKey, type Exposition, type Sample } from './exposition.js';
import type { Expr, Matcher, Selector } from './expression.js';

export interface Scrape {
  exposition: Exposition;
  /** Epoch ms the scrape completed; rates divide by the difference between two scrapes. */
  takenAt: number;
}

/** The sample client libraries expose with the time the process started (Go, Java, Python, Node: prom-client's default metrics). */
export const PROCESS_START = 'process_start_time_seconds';

/**
 * Which process's run a page is from, as far as it says: when its process started ('' when the page
 * does not say). Pages of different processes (one URL in front of several instances answers from a
 * different one each time), or of one process before and after a restart, have counters whose
 * difference is no increase: a restart's "increase is the new value" would count a whole other
 * process's requests since it started.
 */
export function processKey(e: Exposition): string {
  return e.samples.filter((s) => s.name === PROCESS_START).map((s) => `${seriesKey(s)}=${s.value}`).sort().join('\n');
}

export function evaluate(expr: Expr, current: Scrape, previous: Scrape | undefined): number | undefined {
  const value = evaluateNode(expr, current, previous);
  return value !== undefined && Number.isFinite(value) ? value : undefined;
}

function evaluateNode(expr: Expr, current: Scrape, previous: Scrape | undefined): number | undefined {
  switch (expr.kind) {
    case 'number':
      return expr.value;
    case 'gauge': {
      const series = select(current.exposition, expr.selector.name, expr.selector.matchers);
      if (series.length > 0) return sum(series.map((s) => s.value));
      // A counter the page has, with no series for these labels, has counted nothing yet (no 5xx so far).
      return isCounter(current.exposition, expr.selector.name) ? 0 : undefined;
    }
    case 'rate': {
      if (!previous || !exposes(current.exposition, expr.selector.name)) return undefined;
      const seconds = (current.takenAt - previous.takenAt) / 1000;
      if (!(seconds > 0)) return undefined;
      return sum(increases(expr.selector, current, previous).map((i) => i.increase)) / seconds;
    }
    case 'quantile':
      return previous ? quantile(expr.q, expr.selector, current, previous) : undefined;
    case 'binary': {
      const left = evaluateNode(expr.left, current, previous);
      const right = evaluateNode(expr.right, current, previous);
      if (left === undefined || right === undefined) return undefined;
      if (expr.op === '*') return left * right;
      return right === 0 ? undefined : left / right;
    }
  }
}

function quantile(q: number, selector: Selector, current: Scrape, previous: Scrape): number | undefined {
  const bucketName = `${selector.name}_bucket`;
  if (!exposes(current.exposition, bucketName)) return undefined;
  const perBound = new Map<string, Bucket>();
  for (const { sample, increase } of increases({ name: bucketName, matchers: selector.matchers }, current, previous)) {
    // A page with a bucket whose bound is not a number was refused (exposition.ts).
    const upperBound = sample.labels.le === undefined ? undefined : bucketBound(sample.labels.le);
    if (upperBound === undefined) continue;
    // `le="1"` and `le="1.0"` (OpenMetrics' canonical form) are the same bucket.
    const key = String(upperBound);
    const bucket = perBound.get(key) ?? { upperBound, count: 0 };
    bucket.count += increase;
    perBound.set(key, bucket);
  }
  const value = bucketQuantile(q, [...perBound.values()]);
  return Number.isNaN(value) ? undefined : value;
}

/** Each matching series of `current` with its increase since `previous`, resets handled. */
function increases(selector: Selector, current: Scrape, previous: Scrape): Array<{ sample: Sample; increase: number }> {
  const before = new Map(select(previous.exposition, selector.name, selector.matchers).map((s) => [seriesKey(s), s.value]));
  return select(current.exposition, selector.name, selector.matchers).map((sample) => {
    const old = before.get(seriesKey(sample)) ?? 0;
    return { sample, increase: sample.value >= old ? sample.value - old : sample.value };
  });
}

/**
 * Whether the page exposes the metric at all: a sample of that name, or a `# TYPE` for its family.
 * A counter declared but never incremented has no sample yet; its rate is 0, not unknown.
 */
/** A counter the page exposes (declared as one, or a `_total` sample of a family it has). */
function isCounter(exposition: Exposition, sampleName: string): boolean {
  const family = sampleName.replace(/_total$/, '');
  return exposes(exposition, sampleName) && (exposition.types.get(sampleName) === 'counter' || exposition.types.get(family) === 'counter' || sampleName.endsWith('_total'));
}

function exposes(exposition: Exposition, sampleName: string): boolean {
  if (exposition.samples.some((s) => s.name === sampleName)) return true;
  const family = sampleName.replace(/_(total|bucket|count|sum)$/, '');
  return exposition.types.has(sampleName) || (family !== sampleName && exposition.types.has(family));
}

function select(exposition: Exposition, name: string, matchers: readonly Matcher[]): Sample[] {
  return exposition.samples.filter((s) => s.name === name && matchers.every((m) => matches(m, s.labels[m.label] ?? '')));
}

/** A missing label matches as the empty string, as in PromQL (`{env=""}` selects series without `env`). */
function matches(m: Matcher, value: string): boolean {
  switch (m.op) {
    case '=':
      return value === m.value;
    case '!=':
      return value !== m.value;
    case '=~':
      return m.regex!.test(value);
    case '!~':
      return !m.regex!.test(value);
  }
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
