/** The judge's rules one by one: settle, significance, counts, bands, trends, odd data, early decision. */
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/core/analyze.js';
import { decisiveRegression } from '../../src/core/early.js';
import { DEFAULT_RULES, rule } from '../../src/core/rules.js';
import type { MetricSnapshot, Rules } from '../../src/core/types.js';

const rules: Rules = { ...DEFAULT_RULES };
const wobble = (i: number, pct: number) => 1 + pct * Math.sin(i * 2.3);
const snaps = (n: number, make: (i: number) => Record<string, unknown>): MetricSnapshot[] => Array.from({ length: n }, (_, i) => ({ metrics: make(i) }));
const status = (a: ReturnType<typeof analyze>, name: string) => a.metrics.find((m) => m.name === name)?.status;
const codes = (a: ReturnType<typeof analyze>) => a.hints.map((h) => h.code);

describe('settle period', () => {
  const pre = snaps(5, (i) => ({ latency_p95: 100 * wobble(i, 0.03), latency_p99: 150 * wobble(i, 0.03) }));

  it('a blip in the first POST samples that recovers is not a regression, and is named', () => {
    const post = snaps(30, (i) => ({ latency_p95: (i < 3 ? 400 : 100) * wobble(i, 0.03), latency_p99: (i < 3 ? 600 : 150) * wobble(i, 0.03) }));
    const a = analyze({ pre, post, rules });
    expect(a.verdict).toBe('ok');
    expect(codes(a)).toContain('transient_blip_recovered');
  });

  it('a step that persists is', () => {
    const post = snaps(30, (i) => ({ latency_p95: 190 * wobble(i, 0.03), latency_p99: 290 * wobble(i, 0.03) }));
    const a = analyze({ pre, post, rules });
    expect(a.verdict).toBe('rollback_recommended');
    expect(a.metrics[0]!.evidence).toMatchObject({ test: 'rank_sum', settle_skipped: 3, untestable: false });
  });
});

describe('significance', () => {
  it('a big move that the samples cannot confirm is not a regression (noisy, not significant)', () => {
    const pre = snaps(3, (i) => ({ cpu_usage: [0.3, 0.9, 0.5][i] }));
    const post = snaps(6, (i) => ({ cpu_usage: [0.9, 0.45, 1.2, 1.0, 0.5, 1.1][i] }));
    const a = analyze({ pre, post, rules, settle: 0 });
    expect(status(a, 'cpu_usage')).toBe('warning');
    expect(a.metrics[0]!.evidence.p_value).toBeGreaterThan(0.05);
    // cpu_usage is not critical: an unconfirmed move lowers confidence but does not raise the verdict.
    expect(a.verdict).toBe('ok');
    expect(a.confidence).toBeLessThan(1);
  });

  it('with one PRE sample the test has no power: judged on thresholds, said so, lower confidence', () => {
    const a = analyze({ pre: snaps(1, () => ({ latency_p95: 100 })), post: snaps(10, () => ({ latency_p95: 200 })), rules, settle: 0 });
    expect(a.metrics[0]!.evidence.untestable).toBe(true);
    expect(status(a, 'latency_p95')).toBe('warning'); // capped: fewer than min_samples
    expect(codes(a)).toContain('too_few_samples');
  });
});

describe('count-aware error rates', () => {
  const traffic = (rps: number, rate: (i: number) => number) => (i: number) => ({ error_rate: rate(i), requests_per_sec: rps });

  it('low traffic: one error in a handful of requests is not a 150% regression', () => {
    // 0.5 req/s at 10 s: 5 requests a sample. PRE 1 error in 25 requests, POST 2 in 50.
    const pre = snaps(5, traffic(0.5, (i) => (i === 2 ? 0.2 : 0)));
    const post = snaps(10, traffic(0.5, (i) => (i === 4 || i === 8 ? 0.2 : 0)));
    const a = analyze({ pre, post, rules, intervalMs: 10_000, settle: 0 });
    expect(a.metrics[0]!.evidence.test).toBe('rate');
    expect(a.metrics[0]!.evidence.counts).toEqual({ pre_events: 1, pre_requests: 25, post_events: 2, post_requests: 50 });
    expect(a.verdict).toBe('ok');
  });

  it('high traffic: the same ratio of ratios with many requests is a regression', () => {
    const pre = snaps(5, traffic(200, () => 0.01));
    const post = snaps(10, traffic(200, () => 0.03));
    const a = analyze({ pre, post, rules, intervalMs: 10_000, settle: 0 });
    expect(status(a, 'error_rate')).toBe('regression');
    expect(a.metrics[0]!.evidence.p_value).toBeLessThan(1e-6);
    expect(a.details[0]).toMatch(/binomial test p=.*: 100 errors in 10000 requests before, 600 in 20000 after/);
  });

  it('under min_volume requests the metric can raise attention but never rollback', () => {
    const custom = { ...rules, error_rate: { ...rules.error_rate!, min_volume: 1000 } };
    const pre = snaps(5, traffic(2, () => 0));
    const post = snaps(10, traffic(2, () => 0.5));
    const a = analyze({ pre, post, rules: custom, intervalMs: 10_000, settle: 0 });
    expect(status(a, 'error_rate')).toBe('warning');
    expect(a.verdict).toBe('attention');
    expect(codes(a)).toContain('low_traffic');
  });
});

describe('bands, trends and load', () => {
  const steady = (i: number) => ({ latency_p95: 100 * wobble(i, 0.02), memory_usage: 500 * wobble(i, 0.01), cpu_usage: 0.3 * wobble(i, 0.02), requests_per_sec: 100 * wobble(i, 0.02) });
  const pre = snaps(5, steady);

  it('a significant move inside the attention band -> attention', () => {
    const post = snaps(30, (i) => ({ ...steady(i), latency_p95: 120 * wobble(i, 0.02) }));
    const a = analyze({ pre, post, rules });
    expect(status(a, 'latency_p95')).toBe('warning');
    expect(a.verdict).toBe('attention');
    expect(a.summary).toMatch(/latency_p95 moved into the attention band/);
  });

  it('memory rising steadily under the threshold -> attention, leak suspect', () => {
    const post = snaps(30, (i) => ({ ...steady(i), memory_usage: 500 * (1 + 0.012 * i) * wobble(i, 0.005) }));
    const a = analyze({ pre, post, rules });
    expect(status(a, 'memory_usage')).toBe('warning');
    expect(a.metrics.find((m) => m.name === 'memory_usage')!.evidence.trend!.p_value).toBeLessThan(0.01);
    expect(codes(a)).toContain('memory_leak_suspected');
    expect(a.verdict).toBe('attention');
    expect(a.summary).toMatch(/memory_usage kept rising through the window/);
  });

  it('CPU rising no more than traffic is the load, not the code', () => {
    const post = snaps(30, (i) => ({ ...steady(i), cpu_usage: 0.39 * wobble(i, 0.02), requests_per_sec: 160 * wobble(i, 0.02) }));
    const a = analyze({ pre, post, rules });
    expect(status(a, 'cpu_usage')).toBe('ok');
    expect(codes(a)).toContain('load_follows_traffic');
    expect(a.verdict).toBe('ok');
  });
});

describe('odd data', () => {
  it('negative rates are invalid, set aside and reported', () => {
    const a = analyze({ pre: snaps(5, () => ({ requests_per_sec: 100 })), post: snaps(10, (i) => ({ requests_per_sec: i === 3 ? -5 : 100 })), rules });
    expect(a.details).toContain('requests_per_sec: 1 invalid value ignored (not a number, or negative)');
    expect(a.verdict).toBe('ok');
  });

  it('on_no_data: rollback and ignore', () => {
    const pre = snaps(5, () => ({ orders: 10, latency_p95: 100 }));
    const post = snaps(10, () => ({ latency_p95: 100 }));
    const strict = { ...rules, orders: rule('decrease', 20, { on_no_data: 'rollback' }) };
    expect(analyze({ pre, post, rules: strict }).verdict).toBe('rollback_recommended');
    const lax = { ...rules, orders: rule('decrease', 20, { on_no_data: 'ignore' }) };
    expect(analyze({ pre, post, rules: lax }).verdict).toBe('ok');
  });
});

describe('early decision', () => {
  const pre = snaps(5, () => ({ error_rate: 0.01, requests_per_sec: 200 }));
  const outage = (n: number) => snaps(n, () => ({ error_rate: 0.5, requests_per_sec: 200 }));

  it('an outage is decisive after settle + persistence samples', () => {
    const input = { pre, rules, intervalMs: 10_000, settle: 2 };
    expect(decisiveRegression({ ...input, post: outage(4) })).toBeUndefined(); // settle 2 + persist 3 not reached
    expect(decisiveRegression({ ...input, post: outage(5) })).toEqual(['error_rate']);
  });

  it('a regression that does not persist in the latest samples is not decisive', () => {
    const post = [...outage(5), ...snaps(1, () => ({ error_rate: 0.01, requests_per_sec: 200 }))];
    expect(decisiveRegression({ pre, post, rules, intervalMs: 10_000, settle: 2 })).toBeUndefined();
  });

  it('persistence is configurable', () => {
    const input = { pre, rules, intervalMs: 10_000, settle: 2 };
    expect(decisiveRegression({ ...input, post: outage(3) }, 1)).toEqual(['error_rate']);
    expect(decisiveRegression({ ...input, post: outage(6) }, 5)).toBeUndefined();
    expect(decisiveRegression({ ...input, post: outage(7) }, 5)).toEqual(['error_rate']);
  });

  it('a healthy window is never decided early', () => {
    const post = snaps(20, () => ({ error_rate: 0.011, requests_per_sec: 198 }));
    expect(decisiveRegression({ pre, post, rules, intervalMs: 10_000, settle: 2 })).toBeUndefined();
  });
});
