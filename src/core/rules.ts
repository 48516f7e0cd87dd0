import type { MetricRule, Rules } from './types.js';

/**
 * The known metrics and their default rules (SPEC §3). Only metrics with a rule are judged.
 * min_delta keeps tiny absolute moves from counting: 0.01 -> 0.013 error rate is noise, not an incident.
 * It is only set where the unit is unambiguous (error_rate is a fraction, db_connections a count);
 * latency and CPU units vary between apps, so their floors are left to the project's config.
 * Traffic is judged on its step at the deploy (gradual: attention): its users, not the code, set its
 * slow moves (the day's cycle), and a deploy that loses requests loses them at once.
 */
export const DEFAULT_RULES: Readonly<Rules> = Object.freeze({
  error_rate: rule('increase', 50, { critical: true, min_delta: 0.005, volume: 'requests_per_sec', counters: { events: 'errors_total', requests: 'requests_total' }, min_volume: 50 }),
  latency_p95: rule('increase', 30, { trend: true }),
  latency_p99: rule('increase', 40, { trend: true }),
  cpu_usage: rule('increase', 50),
  memory_usage: rule('increase', 70, { trend: true }),
  requests_per_sec: rule('decrease', 40, { critical: true, aggregate: 'sum', gradual: 'attention', counter: 'requests_total' }),
  db_connections: rule('increase', 60, { min_delta: 2, aggregate: 'sum' }),
});

/** A rule with the defaults every field has: attention band at half the threshold, 3 samples per phase. */
export function rule(direction: MetricRule['direction'], threshold: number, extra: Partial<MetricRule> = {}): MetricRule {
  return {
    direction,
    threshold,
    critical: false,
    min_delta: 0,
    aggregate: 'mean',
    attention: threshold / 2,
    min_volume: 0,
    on_no_data: 'attention',
    min_samples: 3,
    trend: false,
    allow_negative: false,
    gradual: 'regression',
    ...extra,
  };
}
