import { describe, expect, it } from 'vitest';
import { binomialUpperTail, rateIncreaseTest } from '../../src/core/stats/binomial.js';
import { rankSumGreater } from '../../src/core/stats/rank-sum.js';
import { trendOf } from '../../src/core/stats/trend.js';


/** P(b's rank sum >= observed) by enumerating every split of the pooled values, over mid-ranks (plain ranks without ties). */
function bruteForceP(a: number[], b: number[]): number {
  const all = [...a, ...b];
  const sorted = [...all].sort((x, y) => x - y);
  const midRank = (v: number) => (sorted.indexOf(v) + 1 + sorted.lastIndexOf(v) + 1) / 2;
  const ranks = all.map(midRank);
  const observed = b.reduce((s, v) => s + midRank(v), 0);
  let hits = 0;
  let splits = 0;
  const choose = (from: number, left: number, sum: number): void => {
    if (left === 0) {
      splits++;
      if (sum >= observed - 1e-9) hits++;
      return;
    }
    for (let i = from; i <= all.length - left; i++) choose(i + 1, left - 1, sum + ranks[i]!);
  };
  choose(0, b.length, 0);
  return hits / splits;
}

describe('rank-sum (Mann-Whitney), one-sided', () => {
  it('exact from 3 samples a side: complete separation of 3 vs 3 is p = 1/20', () => {
    expect(rankSumGreater([1, 2, 3], [4, 5, 6])).toEqual({ pValue: 0.05, minPValue: 0.05, exact: true });
    expect(rankSumGreater([4, 5, 6], [1, 2, 3]).pValue).toBe(1);
  });

  it('exact with unequal sizes, either way round: 1 / C(13, 3)', () => {
    expect(rankSumGreater([1, 2, 3], [4, 5, 6, 7, 8, 9, 10, 11, 12, 13]).pValue).toBeCloseTo(1 / 286, 12);
    expect(rankSumGreater([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [11, 12, 13]).pValue).toBeCloseTo(1 / 286, 12);
  });

  it('handles ties exactly (mid-ranks): 0,0,0 vs 0,0,0,1 is p = 20/35', () => {
    expect(rankSumGreater([0, 0, 0], [0, 0, 0, 1]).pValue).toBeCloseTo(20 / 35, 12);
    expect(rankSumGreater([5, 5, 5], [5, 5, 5]).pValue).toBe(1);
  });

  it('with ties the exact p-value matches brute-force enumeration over mid-ranks', () => {
    let seed = 5;
    const next = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let t = 0; t < 40; t++) {
      const a = Array.from({ length: 3 + (t % 5) }, () => Math.floor(next() * 4));
      const b = Array.from({ length: 3 + (t % 4) }, () => Math.floor(next() * 5));
      const r = rankSumGreater(a, b);
      expect(r.exact).toBe(true);
      expect(r.pValue).toBeCloseTo(bruteForceP(a, b), 12);
    }
  });

  it('reports when the sizes cannot reach significance (1 vs 5: at best 1/6)', () => {
    expect(rankSumGreater([1], [2, 3, 4, 5, 6]).minPValue).toBeCloseTo(1 / 6, 12);
  });

  it('without ties the exact p-value matches brute-force enumeration of every split', () => {
    let seed = 11;
    const next = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let t = 0; t < 40; t++) {
      const a = Array.from({ length: 3 + (t % 5) }, next);
      const b = Array.from({ length: 3 + (t % 4) }, () => next() + 0.3 * next());
      const r = rankSumGreater(a, b);
      expect(r.exact).toBe(true);
      expect(r.pValue).toBeCloseTo(bruteForceP(a, b), 12);
    }
  });

  it('stays exact (and cheap) for a live-view sized comparison: 60 PRE vs 15 POST without ties', () => {
    const a = Array.from({ length: 60 }, (_, i) => i);
    const b = Array.from({ length: 15 }, (_, i) => 100 + i);
    const r = rankSumGreater(a, b);
    expect(r.exact).toBe(true);
    // All of b above all of a: one split in C(75, 15).
    expect(r.pValue).toBeCloseTo(r.minPValue, 20);
    expect(Math.abs(r.pValue * 2280012686716080 - 1)).toBeLessThan(1e-9);
  });

  it('large samples use the normal approximation', () => {
    const a = Array.from({ length: 300 }, (_, i) => i);
    const b = Array.from({ length: 300 }, (_, i) => i + 30);
    const r = rankSumGreater(a, b);
    expect(r.exact).toBe(false);
    // Shift of 30 on a range of 300: z = (U - n1*n2/2) / sd, about 3.9 here.
    expect(r.pValue).toBeGreaterThan(1e-6);
    expect(r.pValue).toBeLessThan(1e-3);
    expect(rankSumGreater(a, a).pValue).toBeGreaterThan(0.45);
  });
});

describe('count-aware rate test', () => {
  it('1 error in 40 requests after 0 in 40 before is not significant', () => {
    expect(rateIncreaseTest({ events: 0, requests: 40 }, { events: 1, requests: 40 }).pValue).toBe(0.5);
  });

  it('40 errors in 1000 after 10 in 1000 before is', () => {
    expect(rateIncreaseTest({ events: 10, requests: 1000 }, { events: 40, requests: 1000 }).pValue).toBeLessThan(1e-4);
  });

  it('binomial tail matches known values', () => {
    expect(binomialUpperTail(60, 100, 0.5)).toBeCloseTo(0.02844, 4);
    expect(binomialUpperTail(0, 10, 0.3)).toBe(1);
    expect(binomialUpperTail(11, 10, 0.3)).toBe(0);
  });
});

describe('trend (Mann-Kendall + Theil-Sen)', () => {
  it('a steady rise is significant and its slope is measured', () => {
    const t = trendOf(Array.from({ length: 30 }, (_, i) => 100 + 2 * i + (i % 3)))!;
    expect(t.pValueUp).toBeLessThan(0.001);
    expect(t.slope).toBeCloseTo(2, 0);
  });

  it('a flat series is not a trend; too short a series is not judged', () => {
    expect(trendOf([5, 5, 5, 5, 5, 5, 5])!.pValueUp).toBeGreaterThan(0.4);
    expect(trendOf([1, 2, 3])).toBeUndefined();
  });

  it('long series are binned, so the work stays bounded', () => {
    const t = trendOf(Array.from({ length: 10_000 }, (_, i) => i))!;
    expect(t.points).toBeLessThanOrEqual(48);
    expect(t.slope).toBeCloseTo(1, 1);
  });
});

describe('median (quickselect)', () => {
  it('agrees with the sorted middle on odd, even and tied inputs', async () => {
    const { median } = await import('../../src/core/stats/basic.js');
    let seed = 3;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let trial = 0; trial < 500; trial++) {
      const n = 1 + Math.floor(rand() * 40);
      const values = Array.from({ length: n }, () => Math.floor(rand() * 10));
      const sorted = [...values].sort((a, b) => a - b);
      const expected = n % 2 ? sorted[n >> 1]! : (sorted[(n >> 1) - 1]! + sorted[n >> 1]!) / 2;
      expect(median(values)).toBe(expected);
    }
    expect(Number.isNaN(median([]))).toBe(true);
  });
});
