/** The live line's words: what moved, and what the early decision waits for. */
import { describe, expect, it } from 'vitest';
import { liveText } from '../../src/app/live.js';
import type { MetricResult } from '../../src/core/types.js';

const metric = (name: string, change_pct: number, status: MetricResult['status']): MetricResult => ({
  name,
  baseline: 1,
  current: 1 + change_pct / 100,
  change_pct,
  threshold_pct: 50,
  direction: 'increase',
  status,
  samples: { pre: 12, post: 10 },
  evidence: { test: 'shift', p_value: 0.01, untestable: false, settle_skipped: 0, invalid: { pre: 0, post: 0 } },
});

describe('the live line', () => {
  it('says what a regression that does not end the window waits for', () => {
    expect(liveText(metric('error_rate', 120, 'regression'), { kind: 'not_decisive', metric: 'error_rate', p: 0.0123, needs: 0.000178 })).toBe('error_rate +120% (regression, not yet decisive: p=0.012, needs 0.00018)');
    expect(liveText(metric('error_rate', 120, 'regression'), { kind: 'holding', metrics: ['error_rate'], held: 5, needs: 12, alone: true })).toBe(
      'error_rate +120% (regression, not yet decisive: held 5 of 12 samples (alone; a second metric moving with it would decide sooner))',
    );
    expect(liveText(metric('latency_p95', 40, 'regression'), { kind: 'alone', metric: 'latency_p95' })).toMatch(/^latency_p95 \+40% \(regression, not decisive alone: /);
  });

  it('says "settling" during the settle period, whatever the metrics look like', () => {
    expect(liveText(undefined, { kind: 'settling', done: 2, of: 4 })).toBe('settling, 2 of 4');
    expect(liveText(metric('cpu_usage', 300, 'warning'), { kind: 'settling', done: 2, of: 4 })).toBe('settling, 2 of 4');
  });

  it('names another metric or an endpoint the decision is about', () => {
    expect(liveText(metric('latency_p95', 40, 'warning'), { kind: 'not_decisive', metric: 'error_rate', p: 0.2, needs: 0.001 })).toBe('latency_p95 +40% (attention) · error_rate: not yet decisive: p=0.2, needs 0.001');
    expect(liveText(undefined, { kind: 'endpoint', endpoint: 'http://a/ds-metrics', failed: 3, needs: 14 })).toBe('http://a/ds-metrics failing, not yet decisive: 3 of 14 failed requests');
    // Past the count (an endpoint already flaky before the deploy), never "5 of 4".
    expect(liveText(undefined, { kind: 'endpoint', endpoint: 'http://a/ds-metrics', failed: 5, needs: 4 })).toBe('http://a/ds-metrics failing, not yet decisive: 5 failed requests (4 make a finding), not yet more than its failures before the deploy explain');
  });

  it('a healthy window reads as it is', () => {
    expect(liveText(metric('cpu_usage', 2, 'ok'), { kind: 'quiet' })).toBe('cpu_usage +2% (ok)');
    expect(liveText(metric('cpu_usage', 2, 'ok'), { kind: 'waiting', first: 6 })).toBe('cpu_usage +2% (ok)');
    expect(liveText(metric('cpu_usage', 2, 'ok'), undefined)).toBe('cpu_usage +2% (ok)');
  });
});
