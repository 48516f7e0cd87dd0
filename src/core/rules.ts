import type { MetricRule, Rules } from './types.js';

/**
 * The known metrics and their default rules (SPEC §3). Only metrics with a rule are judged.
 * min_delta keeps tiny absolute moves from counting: 0.01 -> 0.013 error rate is noise, not an incident.
 * It is only set where the unit is unambiguous (error_rate is a fraction, db_connections a count);
 * latency and CPU units vary between apps, so their floors are left to the project's config.
 */
export const DEFAULT_RULES: Readonly<Rules> = Object.freeze({
  error_rate: rule('increase', 50, { critical: true, min_delta: 0.005 }),
  latency_p95: rule('increase', 30),
  latency_p99: rule('increase', 40),
  cpu_usage: rule('increase', 50),
  memory_usage: rule('increase', 70),
  requests_per_sec: rule('decrease', 40, { critical: true, aggregate: 'sum' }),
  db_connections: rule('increase', 60, { min_delta: 2, aggregate: 'sum' }),
});

function rule(direction: MetricRule['direction'], threshold: number, extra: Partial<MetricRule> = {}): MetricRule {
  return { direction, threshold, critical: false, min_delta: 0, aggregate: 'mean', ...extra };
}
