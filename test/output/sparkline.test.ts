import { describe, expect, it } from 'vitest';
import { phaseSparklines, renderSparklines, sparkline } from '../../src/output/sparkline.js';

describe('sparklines', () => {
  it('scales values between min and max, a gap for a missing value', () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7], 0, 7)).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([1, null, 1], 0, 1)).toBe('█ █');
    expect(sparkline([5, 5], 5, 5)).toBe('▁▁');
  });

  it('keeps at most `width` characters, picked evenly over the series', () => {
    const line = sparkline(Array.from({ length: 1000 }, (_, i) => i), 0, 999, 10);
    expect(line).toHaveLength(10);
    expect(line[0]).toBe('▁');
    expect(line[9]).toBe('█');
  });

  it('draws PRE and POST on one scale, so a step up shows', () => {
    expect(phaseSparklines({ pre: [10, 10, 10], post: [20, 20, 'n/a', 20] })).toBe('▁▁▁ │ ██ █  10–20');
    expect(phaseSparklines({ pre: ['x'], post: [] })).toBe('(no numeric values)');
  });

  it('with the verdict, the scale spans the allowed range: 2% noise under a 30% threshold stays low, and the scale is printed', () => {
    const noisy = { pre: [100, 102, 100, 101], post: [101, 102, 100, 102] };
    const result = { name: 'latency_p95', baseline: 100, current: 101, change_pct: 1, threshold_pct: 30, direction: 'increase' as const, status: 'ok' as const, samples: { pre: 4, post: 4 }, evidence: { test: 'shift' as const, p_value: 0.4, untestable: false, settle_skipped: 0, invalid: { pre: 0, post: 0 } } };
    // Without the verdict the 2% noise fills the height; with it, it stays in the lowest bars.
    expect(phaseSparklines(noisy)).toContain('█');
    const scaled = phaseSparklines(noisy, 24, result);
    expect(scaled).toMatch(/^[▁▂]{4} │ [▁▂]{4} {2}100–130$/);
    // A step past the threshold fills the height.
    expect(phaseSparklines({ pre: [100, 100], post: [150, 150] }, 24, result)).toBe('▁▁ │ ██  100–150');
  });

  it('renders the named metrics under a header, skipping unknown ones', () => {
    const out = renderSparklines(['latency_p95', 'missing'], { names: ['latency_p95'], byMetric: { latency_p95: { pre: [1, 2], post: [3] } }, times: { pre: [null, null], post: [null] } }, (s) => s);
    expect(out.split('\n')).toHaveLength(2);
    expect(out).toMatch(/latency_p95 {2}▁▅ {2}│ █ {5}1–3/);
  });

  it('renders any number of metrics (`show` of a run whose app reported 200,000 names): one line each, no RangeError', () => {
    const names = Array.from({ length: 200_000 }, (_, i) => `m${i}`);
    const byMetric = Object.fromEntries(names.map((n) => [n, { pre: [1], post: [2] }]));
    const out = renderSparklines(names, { names, byMetric, times: { pre: [null], post: [null] } }, (s) => s);
    expect(out.split('\n')).toHaveLength(200_001);
  });
});
