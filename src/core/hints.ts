/**
 * Composite diagnostics: several metrics read together, each with a code, a severity and a plain
 * message. Every hint is documented in README ("Hints"). Pure.
 */
import type { Hint, MetricResult } from './types.js';

/** A traffic change smaller than this (in percent) counts as "flat". */
const FLAT_PCT = 15;

type ByName = ReadonlyMap<string, MetricResult>;

const up = (m: MetricResult | undefined) => m?.status === 'regression' || m?.status === 'warning';
const flat = (m: MetricResult | undefined) => m?.change_pct !== null && m?.change_pct !== undefined && Math.abs(m.change_pct) < FLAT_PCT;

const RULES: ((m: ByName) => Hint | undefined)[] = [
  (m) =>
    m.get('error_rate')?.status === 'regression' && flat(m.get('requests_per_sec'))
      ? { code: 'errors_without_traffic_change', severity: 'critical', message: 'Errors rose while traffic stayed flat: the new version is failing requests it used to serve (a bad code path or configuration).' }
      : undefined,
  (m) =>
    m.get('requests_per_sec')?.status === 'regression'
      ? { code: 'traffic_drop', severity: 'critical', message: 'Traffic fell sharply after the deploy: check routing, health checks and whether instances are serving at all.' }
      : undefined,
  (m) =>
    (up(m.get('latency_p95')) || up(m.get('latency_p99'))) && up(m.get('cpu_usage'))
      ? { code: 'saturation', severity: 'warning', message: 'Latency and CPU rose together: the new version does more work per request, or has too little capacity.' }
      : undefined,
  (m) =>
    (m.get('latency_p95')?.status === 'regression' || m.get('latency_p99')?.status === 'regression') && flat(m.get('cpu_usage'))
      ? { code: 'latency_without_cpu', severity: 'warning', message: 'Latency rose while CPU stayed flat: the time is spent waiting (a slower dependency, a lock or a pool), not computing.' }
      : undefined,
  (m) =>
    up(m.get('db_connections')) && (up(m.get('latency_p95')) || up(m.get('latency_p99')))
      ? { code: 'db_pool_pressure', severity: 'warning', message: 'Database connections and latency rose together: queries hold connections longer or the pool is exhausted.' }
      : undefined,
];

export function compositeHints(metrics: readonly MetricResult[]): Hint[] {
  const byName: ByName = new Map(metrics.map((m) => [m.name, m]));
  return RULES.map((rule) => rule(byName)).filter((h): h is Hint => h !== undefined);
}
