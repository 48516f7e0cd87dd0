/**
 * Several endpoints sampled at one tick become one snapshot per tick, metric by metric, with the
 * metric's rule saying how (mean, sum, max, min). Pure.
 */
import { counterNames } from './columns.js';
import { isMeasurement, mean } from './stats/basic.js';
import type { Aggregation, MetricSnapshot, Rules } from './types.js';

export interface EndpointValues {
  ok: boolean;
  metrics?: Record<string, unknown> | null;
}

/**
 * Returns null when no endpoint answered at that tick. A summed metric (traffic, connections) is
 * scaled up to the full endpoint count when some endpoints failed, so one lost response does not
 * read as lost traffic.
 */
export function aggregateTick(results: readonly EndpointValues[], rules: Rules, timestamp?: string): MetricSnapshot | null {
  const answered = results.filter((r) => r.ok && r.metrics);
  if (answered.length === 0) return null;
  // One endpoint: every aggregation of a single value is that value, so the reported object is the
  // snapshot (long windows are read back from the store tick by tick; copying each costs more than judging).
  if (results.length === 1) return timestamp === undefined ? { metrics: answered[0]!.metrics! } : { timestamp, metrics: answered[0]!.metrics! };
  const names = new Set(answered.flatMap((r) => Object.keys(r.metrics!)));
  // No prototype: a metric named `__proto__` is a key like any other, never the merged sample's
  // prototype (whose values would then be judged as if an endpoint had reported them).
  const metrics = Object.create(null) as Record<string, unknown>;
  const counters = counterNames(rules);
  for (const name of names) {
    const raw = answered.map((r) => (Object.hasOwn(r.metrics!, name) ? r.metrics![name] : undefined)).filter((v) => v !== undefined);
    const numbers = raw.filter(isMeasurement);
    if (numbers.length === 0) {
      // Kept raw so the analysis can report an odd value (a string, NaN text, null) instead of "missing".
      metrics[name] = raw[0];
      continue;
    }
    if (counters.has(name)) {
      // A counter since process start means something across endpoints only as all of them together
      // (what the service counted): with one not answering, the total drops, a fall no process
      // counted. One that answers without the counter (an older version) is left out at every tick alike.
      if (answered.length === results.length) metrics[name] = finite(combine('sum', numbers));
      continue;
    }
    const how = (Object.hasOwn(rules, name) ? rules[name]!.aggregate : undefined) ?? 'mean';
    const value = combine(how, numbers);
    metrics[name] = how === 'sum' ? finite(value * (results.length / numbers.length)) : value;
  }
  return timestamp === undefined ? { metrics } : { timestamp, metrics };
}

/**
 * A sum of finite values past the largest double is the largest double: still the largest traffic
 * there is, judged as such, where Infinity would be no measurement at all.
 */
function finite(sum: number): number {
  return Math.max(-Number.MAX_VALUE, Math.min(Number.MAX_VALUE, sum));
}

function combine(how: Aggregation, values: number[]): number {
  switch (how) {
    case 'sum':
      return values.reduce((a, b) => a + b, 0);
    case 'max':
      return Math.max(...values);
    case 'min':
      return Math.min(...values);
    case 'mean':
      return mean(values);
  }
}
