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
    expect(phaseSparklines({ pre: [10, 10, 10], post: [20, 20, 'n/a', 20] })).toBe('▁▁▁ │ ██ █');
    expect(phaseSparklines({ pre: ['x'], post: [] })).toBe('(no numeric values)');
  });

  it('renders the named metrics under a header, skipping unknown ones', () => {
    const out = renderSparklines(['latency_p95', 'missing'], { names: ['latency_p95'], byMetric: { latency_p95: { pre: [1, 2], post: [3] } } }, (s) => s);
    expect(out.split('\n')).toHaveLength(2);
    expect(out).toMatch(/latency_p95 {2}▁▅ │ █/);
  });
});
