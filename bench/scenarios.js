// Labeled deploy scenarios for judging judges: a seeded generator of PRE and POST samples in
// families (healthy ones that must stay `ok`, regressions that must be caught). Shared by the
// per-family tests (test/core/scenarios.test.ts) and `npm run bench:verdicts`.

// The demo's seeded PRNG (mulberry32), from the built package: one implementation for both.
import { seededRandom as seeded } from '../build/src/demo/app.js';

export function gaussian(rand) {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** Poisson draw (Knuth for small means, normal approximation above). */
export function poisson(rand, mean) {
  if (mean <= 0) return 0;
  if (mean > 50) return Math.max(0, Math.round(mean + Math.sqrt(mean) * gaussian(rand)));
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rand();
  while (p > limit) {
    k++;
    p *= rand();
  }
  return k;
}

export const INTERVAL_MS = 10_000;
const BASE = { error_rate: 0.005, latency_p95: 120, latency_p99: 200, cpu_usage: 0.35, memory_usage: 512, requests_per_sec: 200, db_connections: 12 };

/**
 * One sample. `effect(i, n)` returns multipliers (and an absolute error rate) for POST sample i of n.
 * Error rates are drawn as counts (errors out of requests in the interval), as a real app reports them.
 */
function sample(rand, sigma, base, effect = {}) {
  const noisy = (v, m = 1) => v * m * Math.exp(sigma * gaussian(rand));
  const rps = Math.max(0, noisy(base.requests_per_sec, effect.requests_per_sec ?? 1));
  const requests = Math.max(0, Math.round(rps * (INTERVAL_MS / 1000)));
  const rate = effect.error_rate_abs ?? base.error_rate * (effect.error_rate ?? 1);
  const errors = Math.min(requests, poisson(rand, rate * requests));
  return {
    metrics: {
      error_rate: requests === 0 ? 0 : errors / requests,
      latency_p95: noisy(base.latency_p95, effect.latency_p95 ?? 1),
      latency_p99: noisy(base.latency_p99, effect.latency_p99 ?? 1),
      cpu_usage: noisy(base.cpu_usage, effect.cpu_usage ?? 1),
      memory_usage: noisy(base.memory_usage, effect.memory_usage ?? 1),
      requests_per_sec: requests / (INTERVAL_MS / 1000),
      db_connections: Math.round(noisy(base.db_connections, effect.db_connections ?? 1)),
    },
  };
}

const ramp = (i, n, to) => 1 + (to - 1) * (i / Math.max(1, n - 1));

/** expected: what a judge should say. ok families are healthy deploys; the rest must be caught. */
export const FAMILIES = [
  { name: 'healthy_low_noise', expected: 'ok', sigma: 0.03 },
  { name: 'healthy_high_noise', expected: 'ok', sigma: 0.15 },
  { name: 'low_traffic', expected: 'ok', sigma: 0.05, base: { requests_per_sec: 0.5, error_rate: 0.02 } },
  { name: 'traffic_ramp', expected: 'ok', sigma: 0.05, effect: () => ({ requests_per_sec: 1.6, cpu_usage: 1.2, latency_p95: 1.05 }) },
  { name: 'restart_blip', expected: 'ok', sigma: 0.05, effect: (i) => (i < 2 ? { error_rate_abs: 0.3, latency_p95: 4, latency_p99: 4, requests_per_sec: 0.5, cpu_usage: 1.8 } : {}) },
  { name: 'improvement', expected: 'ok', sigma: 0.05, effect: () => ({ latency_p95: 0.7, latency_p99: 0.7, error_rate: 0.5 }) },
  { name: 'zero_error_baseline', expected: 'ok', sigma: 0.05, base: { error_rate: 0 }, effect: () => ({ error_rate_abs: 0.0004 }) },
  { name: 'short_window', expected: 'ok', sigma: 0.05, pre: 3, post: 5 },
  { name: 'error_regression', expected: 'rollback_recommended', sigma: 0.05, effect: () => ({ error_rate: 5 }) },
  { name: 'errors_from_zero', expected: 'rollback_recommended', sigma: 0.05, base: { error_rate: 0 }, effect: () => ({ error_rate_abs: 0.03 }) },
  { name: 'latency_step', expected: 'rollback_recommended', sigma: 0.05, effect: () => ({ latency_p95: 1.8, latency_p99: 1.8 }) },
  { name: 'latency_gradual', expected: 'rollback_recommended', sigma: 0.05, effect: (i, n) => ({ latency_p95: ramp(i, n, 2.2), latency_p99: ramp(i, n, 2.2) }) },
  { name: 'traffic_loss', expected: 'rollback_recommended', sigma: 0.05, effect: () => ({ requests_per_sec: 0.4 }) },
  { name: 'outage', expected: 'rollback_recommended', sigma: 0.05, effect: () => ({ error_rate_abs: 0.6, requests_per_sec: 0.2, latency_p95: 3, latency_p99: 3 }) },
  { name: 'short_window_regression', expected: 'rollback_recommended', sigma: 0.05, pre: 3, post: 5, effect: () => ({ error_rate: 8 }) },
  { name: 'cpu_only', expected: 'attention', sigma: 0.05, effect: () => ({ cpu_usage: 1.75 }) },
  { name: 'memory_leak', expected: 'attention', sigma: 0.02, effect: (i, n) => ({ memory_usage: ramp(i, n, 1.35) }) },
  { name: 'moderate_latency', expected: 'attention', sigma: 0.03, effect: () => ({ latency_p95: 1.22 }) },
];

/** `count` scenarios of a family, reproducible from `seed`. */
export function scenarios(family, count, seed = 1) {
  const out = [];
  for (let k = 0; k < count; k++) {
    const rand = seeded(seed * 7919 + k * 104729 + family.name.length);
    const base = { ...BASE, ...family.base };
    const preN = family.pre ?? 5;
    const postN = family.post ?? 30;
    const pre = Array.from({ length: preN }, () => sample(rand, family.sigma, base));
    const post = Array.from({ length: postN }, (_, i) => sample(rand, family.sigma, base, family.effect?.(i, postN)));
    out.push({ family: family.name, expected: family.expected, pre, post, intervalMs: INTERVAL_MS });
  }
  return out;
}
