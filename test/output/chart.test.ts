/** The HTML report's chart of one metric: what is drawn and how it is labelled (the browser check is in test/e2e/report.test.ts). */
import { describe, expect, it } from 'vitest';
import type { MetricResult } from '../../src/core/types.js';
import { metricChart, niceTicks } from '../../src/output/chart.js';

const DEPLOY = Date.parse('2026-01-18T12:00:00Z');
const at = (seconds: number) => DEPLOY + seconds * 1000;

function metric(over: Partial<MetricResult> = {}): MetricResult {
  return {
    name: 'error_rate', baseline: 0.002, current: 0.003, change_pct: 50, threshold_pct: 50, direction: 'increase', min_delta: 0.005, status: 'ok',
    samples: { pre: 12, post: 27 },
    evidence: { test: 'rate', p_value: 0.2, untestable: false, settle_skipped: 3, invalid: { pre: 0, post: 0 } },
    ...over,
  };
}

const times = { pre: Array.from({ length: 12 }, (_, i) => at(-125 + i * 10)), post: Array.from({ length: 30 }, (_, i) => at(10 + i * 10)) };
const series = { pre: times.pre.map(() => 0.002), post: times.post.map((_, i) => (i < 3 ? 0.02 : 0.003)) };

describe('metricChart', () => {
  it('a time axis from the deploy, in the metric\'s unit, with the settle samples and the allowed range labelled', () => {
    const svg = metricChart({ metric: metric(), series, times, deployedAt: DEPLOY });
    expect(svg).toContain('<span class="unit">share of requests (0.01 = 1%)</span>');
    const ticks = [...svg.matchAll(/<text class="tick( deploy-label)?" x="[\d.]+" y="\d+" text-anchor="middle">([^<]+)<\/text>/g)].map((m) => m[2]);
    expect(ticks).toEqual(['-2m', '-1m', 'deploy', '+1m', '+2m', '+3m', '+4m', '+5m']);
    expect(svg).toContain('time from the deploy');
    expect(svg).toContain('settle: first 3 POST samples, not judged');
    expect(svg.match(/class="sample settling"/g)).toHaveLength(3);
    // 50% of 0.002 is 0.001, less than the rule's floor: min_delta sets the range, and says so.
    expect(svg).toContain('allowed range: +50%, at least 0.005 (min_delta)');
    expect(svg).toMatch(/<rect class="allowed"[^>]*><title>allowed range: \+50%, at least 0\.005 \(min_delta\): a POST value inside it is no regression<\/title>/);
  });

  it('a decrease rule allows the range below the baseline; without min_delta nothing about it is said', () => {
    const svg = metricChart({ metric: metric({ name: 'requests_per_sec', baseline: 200, current: 120, direction: 'decrease', threshold_pct: 40, min_delta: undefined }), series: { pre: times.pre.map(() => 200), post: times.post.map(() => 120) }, times, deployedAt: DEPLOY });
    expect(svg).toContain('allowed range: -40%<');
    expect(svg).not.toContain('min_delta');
    expect(svg).toContain('<span class="unit">requests/s</span>');
    expect(svg).toMatch(/aria-label="requests_per_sec: 12 PRE and 30 POST samples; allowed range 120 to 200; first 3 POST samples settling"/);
  });

  it('without sample times (older stores, sample files), the axis counts samples from the deploy; an unknown metric says it has no unit', () => {
    const svg = metricChart({ metric: metric({ name: 'queue_depth', evidence: { ...metric().evidence, settle_skipped: 0 } }), series: { pre: [1, 2, 3], post: [4, 5, 6, 7] }, times: { pre: [null, null, null], post: [null, null, null, null] }, deployedAt: null });
    expect(svg).toContain('samples before and after the deploy');
    expect(svg).toContain('no unit known: values as reported');
    expect(svg).not.toContain('class="settle"');
  });

  it('a metric with no numeric value says so instead of drawing nothing', () => {
    expect(metricChart({ metric: metric(), series: { pre: ['n/a'], post: [] }, times: { pre: [at(-10)], post: [] }, deployedAt: DEPLOY })).toContain('no numeric values');
  });
});

describe('niceTicks', () => {
  it('round values that cover the range', () => {
    expect(niceTicks(0, 0.094, 4)).toEqual([0, 0.05, 0.1]);
    expect(niceTicks(118, 182, 4)).toEqual([100, 120, 140, 160, 180, 200].filter((t) => t >= 100));
    expect(niceTicks(5, 5, 4)).toEqual([5]);
  });
});
