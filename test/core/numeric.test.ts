/**
 * The numbers a verdict shows stay numbers, for samples at the edges of what a double holds
 * (found by a fuzzing audit of the judge: each case below once put Infinity or NaN into the verdict,
 * which JSON turns into null, or read a certain move out of noise whose squares underflowed).
 */
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/core/analyze.js';
import { rule } from '../../src/core/rules.js';
import { shiftTest } from '../../src/core/stats/shift.js';
import type { Analysis, MetricSnapshot } from '../../src/core/types.js';

const space = (_use: string, n: number) => new Float64Array(n);
const samples = (values: number[]): MetricSnapshot[] => values.map((v) => ({ metrics: { m: v } }));
/** Every number in the verdict finite (JSON keeps it), and no line that says NaN or Infinity. */
const finiteThroughout = (a: Analysis) => {
  expect(JSON.parse(JSON.stringify(a))).toEqual(a);
  expect([a.summary, ...a.details, ...a.hints.map((h) => h.message)].join('\n')).not.toMatch(/NaN|Infinity/);
};

describe('the judge at the edges of a double', () => {
  it('a median at the largest double is that double, not Infinity (the median on the values\' scale is theirs, not exp(log(x)))', () => {
    const a = analyze({ pre: samples([9.332636185032189e-302]), post: samples([Number.MAX_VALUE]), rules: { m: rule('increase', 50) }, settle: 0 });
    expect(a.metrics[0]!.current).toBe(Number.MAX_VALUE);
    expect(a.metrics[0]!.change_pct).toBe(1e300);
    finiteThroughout(a);
  });

  it('a gradual rise from a zero baseline says 0% at the deploy, not NaN%', () => {
    const a = analyze({ pre: samples([0, 0, 0, 0, 0, 0, 0, 0]), post: samples([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), rules: { m: rule('increase', 50, { gradual: 'attention' }) }, settle: 0 });
    expect(a.metrics[0]!.evidence.gradual?.step_change_pct).toBe(0);
    expect(a.verdict).toBe('attention');
    finiteThroughout(a);
  });

  it('a metric at zero judged with healthy runs that stayed at zero: their typical move is 0%, not NaN', () => {
    const still = { pre: samples([0]), post: samples([0]) };
    const a = analyze({ pre: samples([0]), post: samples([0]), rules: { m: rule('increase', 50) }, healthy: [still, still, still], settle: 0 });
    expect(a.metrics[0]!.evidence.history).toEqual({ runs: 3, typical_change_pct: 0 });
    finiteThroughout(a);
  });

  it('healthy runs that moved far more than this window\'s values do not overflow the pooled error (confidence NaN)', () => {
    const t = shiftTest([1, -1, 2, 0, 1, -1], [1, 0, 2, -1, 1, 0], 'increase', space, { history: [[0, 1e160], [0, -1e160], [0, 1e160]] });
    expect(Number.isFinite(t.se)).toBe(true);
    const moved = (v: number) => ({ pre: samples([0]), post: samples([v]) });
    const a = analyze({ pre: samples([4.4501477170144034e-306, -5e-324]), post: samples([4.4501477170144034e-306, -5e-324]), rules: { m: rule('increase', Number.MAX_VALUE, { allow_negative: true }) }, healthy: [moved(0), moved(-1.1617148808176793e-154), moved(1.1617148808176793e-154)], settle: 0 });
    expect(a.verdict).toBe('ok');
    finiteThroughout(a);
  });

  it('on a linear scale, one huge sample does not make the noise of the others vanish: the p-value is the one a merely large outlier gives', () => {
    // A negative value puts the test on a linear scale; the outlier is set aside by the robust spread,
    // whatever its size. Divided by a unit at the outlier, the others' squared deviations were 0: p = 0.
    const pre = (outlier: number) => [0, -1, 0, 0, -1, -outlier];
    const post = (outlier: number) => [-1, 0, 0, -1, -outlier];
    const p = (outlier: number) => shiftTest(pre(outlier), post(outlier), 'both', space).pValue;
    expect(p(1e162)).toBe(p(10));
    expect(p(1e200)).toBe(p(10));
    expect(p(10)).toBeGreaterThan(0.1);
    const verdict = (outlier: number) => analyze({ pre: samples(pre(outlier)), post: samples(post(outlier)), rules: { m: rule('both', 50, { allow_negative: true, critical: true }) }, settle: 0 });
    expect(verdict(1e200).metrics[0]!.evidence.p_value).toBe(verdict(10).metrics[0]!.evidence.p_value);
    expect(verdict(1e200).verdict).not.toBe('rollback_recommended');
  });

  it('a change at the threshold is at it whatever binary fractions make of it: 0.1 -> 0.15 is +50% as 100 -> 150 is; 0.01 -> 0.013 reaches a floor of 0.003', () => {
    const steady = (v: number, n: number) => samples(Array.from({ length: n }, () => v));
    const verdictOf = (before: number, after: number, threshold: number, extra = {}) => analyze({ pre: steady(before, 12), post: steady(after, 30), rules: { m: rule('increase', threshold, { critical: true, ...extra }) } });
    for (const [before, after, threshold] of [[0.1, 0.15, 50], [100, 150, 50], [7, 9.1, 30], [0.7, 0.91, 30]] as const) {
      const a = verdictOf(before, after, threshold);
      expect(a.metrics[0]!.change_pct, `${before} -> ${after}`).toBe(threshold);
      expect(a.verdict, `${before} -> ${after}`).toBe('rollback_recommended');
    }
    // The absolute floor, likewise: a move of exactly min_delta counts.
    expect(verdictOf(0.01, 0.013, 25, { min_delta: 0.003 }).verdict).toBe('rollback_recommended');
    // Just short of the threshold is short of it.
    expect(verdictOf(0.1, 0.1499, 50).verdict).not.toBe('rollback_recommended');
  });
});
