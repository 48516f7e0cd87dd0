import { describe, expect, it } from 'vitest';
import { maxOf, minOf } from '../../src/core/stats/basic.js';
import { binomialUpperTail, countChangeP, rateIncreaseTest } from '../../src/core/stats/binomial.js';
import { inflation, lag1 } from '../../src/core/stats/dependence.js';
import { logGamma, normalQuantileUpper, upperNormal, upperStudent } from '../../src/core/stats/distributions.js';
import { holmAdjusted } from '../../src/core/stats/holm.js';
import { powerAt, shiftTest } from '../../src/core/stats/shift.js';
import { trendOf } from '../../src/core/stats/trend.js';

const space = (_use: string, n: number) => new Float64Array(n);

describe('distributions', () => {
  it('normal tail and its inverse agree, out to extreme tails', () => {
    expect(upperNormal(1.959964)).toBeCloseTo(0.025, 6);
    for (const p of [0.4, 0.05, 1e-3, 1e-8, 1e-20, 0.97]) expect(upperNormal(normalQuantileUpper(p)) / p).toBeCloseTo(1, 5);
    expect(normalQuantileUpper(0)).toBe(Number.POSITIVE_INFINITY);
  });

  it('the inverse stays a number for subnormal tails (1e-315 .. 5e-324), where its refining step overflowed to NaN', () => {
    let previous = normalQuantileUpper(1e-308);
    for (const p of [1e-312, 1e-315, 1e-321, 5e-324]) {
      const z = normalQuantileUpper(p);
      expect(Number.isFinite(z), `p=${p}`).toBe(true);
      expect(z).toBeGreaterThan(previous);
      previous = z;
    }
  });

  it("Student's t tails match tables (df 1, 4, 10) and tend to the normal", () => {
    expect(upperStudent(12.706, 1)).toBeCloseTo(0.025, 4);
    expect(upperStudent(2.776, 4)).toBeCloseTo(0.025, 4);
    expect(upperStudent(2.228, 10)).toBeCloseTo(0.025, 4);
    expect(upperStudent(-2.228, 10)).toBeCloseTo(0.975, 4);
    expect(upperStudent(1.96, 1e9)).toBeCloseTo(upperNormal(1.96), 8);
    expect(logGamma(10)).toBeCloseTo(Math.log(362_880), 10);
  });
});

describe('serial dependence', () => {
  it('lag-1 autocorrelation: high for a smooth series, none (never negative) for alternation', () => {
    const smooth = Array.from({ length: 40 }, (_, i) => Math.sin(i / 5));
    expect(lag1([smooth])).toBeGreaterThan(0.8);
    expect(lag1([Array.from({ length: 40 }, (_, i) => (i % 2 ? 1 : -1))])).toBe(0);
    // Pairs never span two runs: two flat runs at different levels show no dependence.
    expect(lag1([[1, -1, 1, -1, 1, -1], [-1, 1, -1, 1, -1, 1]])).toBe(0);
  });

  it('the inflation of a mean of n AR(1) terms: 1 without dependence, at most n, (1+rho)/(1-rho) for long series', () => {
    expect(inflation(0, 10)).toBe(1);
    expect(inflation(0.9, 3)).toBeLessThanOrEqual(3);
    expect(inflation(0.5, 1e6)).toBeCloseTo(3, 10);
    expect(inflation(0.5, 100)).toBeGreaterThan(2.9);
  });
});

describe('shift test', () => {
  it('a clear step is significant; the same step in noise ten times larger is far weaker evidence', () => {
    const around = (level: number, noise: number, n: number) => Array.from({ length: n }, (_, i) => level * (1 + noise * Math.sin(i * 2.3)));
    const quiet = shiftTest(around(100, 0.02, 12), around(150, 0.02, 30), 'increase', space).pValue;
    expect(quiet).toBeLessThan(1e-6);
    expect(shiftTest(around(100, 0.2, 12), around(150, 0.2, 30), 'increase', space).pValue).toBeGreaterThan(1000 * quiet);
  });

  it('is one-sided: a fall is no evidence of a rise; both directions for "both"', () => {
    const pre = [100, 102, 98, 101, 99, 100];
    const post = [60, 61, 59, 62, 58, 60];
    expect(shiftTest(pre, post, 'increase', space).pValue).toBeGreaterThan(0.99);
    expect(shiftTest(pre, post, 'decrease', space).pValue).toBeLessThan(1e-4);
    expect(shiftTest(pre, post, 'both', space).pValue).toBeLessThan(1e-3);
  });

  it('works on a log scale for positive values (scale-free) and linearly otherwise', () => {
    const pre = [10, 11, 9, 10.5, 9.5];
    const post = [15, 16, 14, 15.5, 14.5];
    const a = shiftTest(pre, post, 'increase', space);
    const b = shiftTest(pre.map((v) => v * 1000), post.map((v) => v * 1000), 'increase', space);
    expect(a.log).toBe(true);
    expect(b.pValue).toBeCloseTo(a.pValue, 10);
    expect(shiftTest([-1, 1, 0, 1], [3, 4, 3, 4], 'increase', space).log).toBe(false);
  });

  it('on a linear scale (a value <= 0), values of any finite magnitude give the same test: no square overflows or vanishes (issue 16)', () => {
    const pre = [0, 1, 2, 1, 0, 2, 1, 1];
    const post = [5, 6, 4, 5, 0, 6, 5, 4];
    const plain = shiftTest(pre, post, 'increase', space);
    expect(plain.pValue).toBeLessThan(1e-3);
    for (const k of [520, 1020, -600, -1000]) {
      const t = shiftTest(pre.map((v) => v * 2 ** k), post.map((v) => v * 2 ** k), 'increase', space);
      expect(t.pValue).toBe(plain.pValue);
      // se is on the test's scale (the values divided by unit): the same numbers, in a unit 2^k times larger.
      expect([t.se, t.unit, t.medians.before, t.medians.after]).toEqual([plain.se, plain.unit * 2 ** k, plain.medians.before * 2 ** k, plain.medians.after * 2 ** k]);
    }
  });

  it('values that touch zero, never below, are compared on a started logarithm: log(x + the smallest positive value), whatever their magnitude', () => {
    const pre = [0, 3, 2, 5, 0, 4, 3, 2];
    const post = [9, 12, 0, 10, 11, 8, 12, 9];
    const plain = shiftTest(pre, post, 'increase', space);
    expect(plain.log).toBe(true);
    expect(plain.offset * plain.unit).toBe(2);
    expect(plain.medians).toEqual({ before: 2.5, after: 9.5 });
    expect(plain.pValue).toBeLessThan(1e-3);
    for (const k of [-1000, -30, 40, 1000]) {
      const t = shiftTest(pre.map((v) => v * 2 ** k), post.map((v) => v * 2 ** k), 'increase', space);
      expect([t.pValue, t.se, t.offset]).toEqual([plain.pValue, plain.se, plain.offset]);
    }
    // A median of zero comes back as exactly 0, not as exp(log(c)) - c.
    expect(shiftTest([0, 0, 0, 1, 0], [0, 0, 1, 0, 0], 'increase', space).medians).toEqual({ before: 0, after: 0 });
  });

  it('discrete values whose pooled median sits at the edge of a tied block, or on a lattice of a few levels, are centred on their middle half; a level most samples sit on keeps its median', () => {
    // Two levels, about half the samples each: the middle half's mean, exact for a level every sample holds.
    const pre = [1, 2, 1, 1, 2, 1, 2, 1, 1, 2, 1, 2];
    const post = [2, 1, 2, 1, 2, 1, 2, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2];
    const { before, after } = shiftTest(pre, post, 'increase', space).medians;
    expect([before, after].map((v) => Math.round(v * 1e12) / 1e12)).toEqual([1.333333333333, 1.6]);
    expect(shiftTest(Array(12).fill(1e308), Array(12).fill(5e-324), 'decrease', space).medians).toEqual({ before: 1e308, after: 5e-324 });
    // An idle function: 80 % zeros, the pooled median deep inside their block: medians, zero both.
    const idle = [0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0, 0];
    expect(shiftTest(idle, [...idle, 0, 2, 0, 0, 0, 0], 'decrease', space).medians).toEqual({ before: 0, after: 0 });
    // The same on a coarse lattice (0 to 3): a third of PRE busy would put a midmean of 1/6 against POST's 0.
    expect(shiftTest([0, 0, 2, 0, 3, 0, 0, 1, 0, 0, 2, 0], [0, 0, 0, 1, ...Array<number>(14).fill(0)], 'decrease', space).medians).toEqual({ before: 0, after: 0 });
    // Counts of 0 to 7 with no level holding the median deep inside: the middle halves.
    const counts = shiftTest([7, 2, 2, 4, 4, 4, 4, 1, 5, 0, 5, 0], [1, 6, 2, 1, 5, 4, 3, 0, 1, 2, 3, 4, 1, 2], 'decrease', space).medians;
    expect([counts.before, counts.after].map((v) => Math.round(v * 1e12) / 1e12)).toEqual([3.333333333333, 2.25]);
    // Idle intervals and bursts of every size (a serverless function): the block of zeros has no
    // well-held level next to it for the median to jump to, and the middle half would say little of
    // the volume the bursts carry: medians.
    const bursts = [0, 1, 0, 50, 542, 2, 0, 0, 142, 321, 0, 0];
    const later = [0, 47, 144, 0, 0, 0, 0, 0, 78, 131, 168, 0, 0, 3, 0, 0, 0, 56, 92, 0, 122, 16, 0, 56, 0, 0, 0];
    expect(shiftTest(bursts, later, 'decrease', space).medians).toEqual({ before: 0.5, after: 0 });
    // Fewer than 6 samples a phase: medians.
    expect(shiftTest([1, 2, 1, 2, 1], [2, 1, 2, 2, 1, 2, 1], 'increase', space).medians).toEqual({ before: 1, after: 2 });
  });

  it('a noise far below the values (squares of its variance underflow) still gives a p-value: the degrees of freedom are taken in shares', () => {
    // Found by the property test: PRE's own spread, 1e-81 of the largest value, made 0 / 0 of Satterthwaite's formula.
    const t = shiftTest([0, 0, 1.0542197943230523e-81], [1, 0, 0], 'increase', space);
    expect(t.pValue).toBeGreaterThanOrEqual(0);
    expect(t.pValue).toBeLessThanOrEqual(1);
    expect(Number.isFinite(t.df)).toBe(true);
  });

  it('a doubling after a PRE flat to its last bits is a step at the deploy, not the continuation of a drift', () => {
    // Found by the property test: PRE rising by 4e-8 (a "trend", p = 0.03) and a diffuse prior 30
    // orders of magnitude above that noise left the step estimate no digit: step p = 1, attention.
    const pre = [-3.079393989802171e-8, -3.8972159444039534e-8, 0, -6.106226635438361e-16, 0, 0, 0, 0].map((n) => 0.01 * (1 + n));
    const t = shiftTest(pre, pre.map((v) => v * 2), 'increase', space, { driftFrom: 0.3 });
    expect(t.pValue).toBeLessThan(1e-6);
    expect(t.drift?.stepP ?? 0).toBeLessThan(1e-6);
  });

  it('earlier healthy runs are pooled with the window\'s own estimate, weighted by their degrees of freedom, their moves taken on the test\'s scale', () => {
    const pre = [100, 104, 97, 101, 106, 95, 99, 103];
    const post = [112, 108, 115, 110, 106, 117, 111, 109];
    const plain = shiftTest(pre, post, 'increase', space);
    const pooled = (sd: number, runs: number) => Math.sqrt((plain.df * plain.se ** 2 + runs * sd * sd) / (plain.df + runs));
    // Runs whose medians moved by +-d on the test's scale: a robust standard deviation of d / sqrt(0.4549) (the median of a chi-square).
    const CHI2 = Math.sqrt(0.4549);
    const runs = (count: number, move: (i: number) => [number, number]) => Array.from({ length: count }, (_, i) => move(i));
    const logRuns = (count: number, d: number) => runs(count, (i) => [80, 80 * Math.exp(i % 2 ? -d : d)]);
    // Healthy runs that moved far more than this window's noise: a wider error, a weaker p-value.
    const wide = shiftTest(pre, post, 'increase', space, { history: logRuns(5, 0.5 * CHI2) });
    expect(wide.history?.sd).toBeCloseTo(0.5, 12);
    expect(wide.se).toBeCloseTo(pooled(0.5, 5), 12);
    expect(wide.pValue).toBeGreaterThan(plain.pValue);
    // Healthy runs that hardly moved: a narrower error, with the runs' degrees of freedom added.
    const narrow = shiftTest(pre, post, 'increase', space, { history: logRuns(20, (plain.se / 10) * CHI2) });
    expect(narrow.se).toBeCloseTo(pooled(plain.se / 10, 20), 12);
    expect(narrow.se).toBeLessThan(plain.se);
    expect(narrow.df).toBeCloseTo(plain.df + 20, 9);
    expect(narrow.pValue).toBeLessThan(plain.pValue);
    // Fewer than three runs say nothing yet.
    expect(shiftTest(pre, post, 'increase', space, { history: logRuns(2, 0.5) })).toEqual(plain);
    // With a negative value among them the test is linear, and takes the runs' moves in the values' units.
    const linearPre = [-1, ...pre.slice(1)];
    const linearPlain = shiftTest(linearPre, post, 'increase', space);
    const linear = shiftTest(linearPre, post, 'increase', space, { history: runs(5, (i) => [100, 100 + (i % 2 ? -8 : 8) * CHI2]) });
    expect(linear.log).toBe(false);
    expect(linear.history?.sd).toBeCloseTo(8, 9);
    // In the values' units: the test's own are whatever power of two its unit is.
    expect(linear.se * linear.unit).toBeCloseTo(Math.sqrt((linearPlain.df * (linearPlain.se * linear.unit) ** 2 + 5 * 64) / (linearPlain.df + 5)), 9);
    // With a zero among them, a started logarithm: a run from 0 to 0 did not move, one from 0 to 1 moved as far as the offset makes it.
    const started = shiftTest([0, ...pre.slice(1)], post, 'increase', space, { history: runs(3, () => [0, 0]) });
    expect(started.offset).toBeGreaterThan(0);
    expect(started.history).toEqual({ sd: 0, runs: 3 });
  });

  it('power: near alpha for a tiny move, near 1 for a move many standard errors wide', () => {
    expect(powerAt({ se: 1 }, 0.001, 0.05)).toBeCloseTo(0.05, 2);
    expect(powerAt({ se: 0.01 }, 1, 0.05)).toBeCloseTo(1, 6);
  });
});

describe('Holm correction', () => {
  it('multiplies the smallest p by the number of tests, the next by one fewer, and keeps the order', () => {
    expect(holmAdjusted([0.01, null, 0.04, 0.03])).toEqual([0.03, null, 0.06, 0.06]);
    expect(holmAdjusted([0.5, 0.9])).toEqual([1, 1]);
  });
});

describe('count-aware rate test', () => {
  const even = (samples: number, events: number, requests: number) => Array.from({ length: samples }, () => ({ events: events / samples, requests: requests / samples }));

  it('1 error in 40 requests after 0 in 40 before is not significant', () => {
    expect(rateIncreaseTest([{ events: 0, requests: 40 }], [{ events: 1, requests: 40 }]).pValue).toBe(0.5);
  });

  it('40 errors in 1000 after 10 in 1000 before is, when the samples agree with each other', () => {
    const t = rateIncreaseTest(even(5, 10, 1000), even(5, 40, 1000));
    expect(t.overdispersion).toBe(1);
    expect(t.pValue).toBeLessThan(1e-4);
  });

  it('the same totals in bursts (samples far apart) are much weaker evidence', () => {
    const bursty = [0, 0, 0, 0, 40].map((events) => ({ events, requests: 200 }));
    const calm = [2, 2, 2, 2, 2].map((events) => ({ events, requests: 200 }));
    const t = rateIncreaseTest(calm, bursty);
    expect(t.overdispersion).toBeGreaterThan(5);
    expect(t.pValue).toBeGreaterThan(rateIncreaseTest(even(5, 10, 1000), even(5, 40, 1000)).pValue * 100);
  });

  it('at any traffic the counts can hold (issue 16): totals past the largest double are no overflow, and the p-value is the one the rates call for', () => {
    const at = (scale: number) => rateIncreaseTest(even(10, 10 * scale, 1000 * scale), even(10, 500 * scale, 1000 * scale));
    for (const scale of [1e150, 1.5e304, 1.7e305]) {
      const t = at(scale);
      expect(t.pValue).toBe(0);
      expect(Number.isFinite(t.pre.requests) && Number.isFinite(t.post.events)).toBe(true);
    }
    // No rise at all stays no evidence, however large the counts.
    expect(rateIncreaseTest(even(10, 10e305, 1000e305), even(10, 10e305, 1000e305)).pValue).toBeGreaterThan(0.4);
  });

  it('dispersion deflates the evidence even where the binomial tail is too small for a double', () => {
    // 2% -> 2.2% on 10^8 requests a sample: binomial z ~ 140 (its tail underflows to 0), but the
    // samples swing by ±50% from one to the next, so the rise is well inside their own noise.
    const swinging = (rate: number) => Array.from({ length: 10 }, (_, i) => ({ events: 1e8 * rate * (i % 2 ? 1.5 : 0.5), requests: 1e8 }));
    const t = rateIncreaseTest(swinging(0.02), swinging(0.022));
    expect(binomialUpperTail(Math.round(t.post.events), Math.round(t.pre.events + t.post.events), 0.5)).toBe(0);
    expect(t.pValue).toBeGreaterThan(0.05);
  });

  it('0 errors before, ~5% after on steady traffic, drifting up through the window: overwhelming evidence, not p=NaN (the binomial tail is subnormal there)', () => {
    const pre = Array.from({ length: 10 }, () => ({ events: 0, requests: 2000 }));
    const post = Array.from({ length: 9 }, (_, i) => ({ events: Math.round((0.051 + i * 0.001) * 2000), requests: 2000 }));
    const t = rateIncreaseTest(pre, post);
    expect(t.overdispersion).toBeGreaterThan(1);
    expect(t.pValue).toBeLessThan(1e-10);
  });

  it('a sample whose binomial variance underflows (a subnormal request count beside 1e150 requests) leaves the dispersion a number', () => {
    const pre = [{ events: 0, requests: 9.691182990608094e132 * 300 }, { events: 0, requests: 30 }];
    const post = [{ events: 8.648513570815576e-137 * 1.7357894665922818e149 * 300, requests: 1.7357894665922818e149 * 300 }, { events: 0, requests: 5e-324 * 300 }, { events: 0, requests: 1e100 * 300 }];
    const t = rateIncreaseTest(pre, post);
    expect(Number.isFinite(t.overdispersion)).toBe(true);
    expect(t.pValue).toBeGreaterThanOrEqual(0);
    expect(t.pValue).toBeLessThanOrEqual(1);
  });

  it('binomial tail matches known values', () => {
    expect(binomialUpperTail(60, 100, 0.5)).toBeCloseTo(0.02844, 4);
    expect(binomialUpperTail(0, 10, 0.3)).toBe(1);
    expect(binomialUpperTail(11, 10, 0.3)).toBe(0);
  });

  it('the exact test of a counted rate: the tail of the phase the bad direction fills, on the phases\' shares of the exposure', () => {
    const pre = { count: 7, exposure: 12 };
    const post = { count: 8, exposure: 27 };
    // P(X >= 7), X ~ Binomial(15, 12/39): PRE held more than its share (a fall).
    expect(countChangeP(pre, post, 'decrease')).toBeCloseTo(0.14618, 4);
    // P(X >= 8), X ~ Binomial(15, 27/39): POST held no more than its share (no rise).
    expect(countChangeP(pre, post, 'increase')).toBeCloseTo(0.94248, 4);
    expect(countChangeP(pre, post, 'both')).toBeCloseTo(2 * 0.14618, 4);
    // 30 of 40 in POST's equal share: P(X >= 30), X ~ Binomial(40, 1/2).
    expect(countChangeP({ count: 10, exposure: 5 }, { count: 30, exposure: 5 }, 'increase')).toBeCloseTo(0.0011107, 6);
    expect(countChangeP({ count: 0, exposure: 5 }, { count: 0, exposure: 5 }, 'decrease')).toBe(1);
  });
});

describe('trend (robust slope test)', () => {
  it('a steady rise is significant and its slope is measured', () => {
    const t = trendOf(Array.from({ length: 30 }, (_, i) => 100 + 2 * i + (i % 3)))!;
    expect(t.pValueUp).toBeLessThan(0.001);
    expect(t.slope).toBeCloseTo(2, 0);
  });

  it('values past 1e154 (whose squares overflow) and below 1e-154 (whose squares vanish) give the same test as ordinary ones', () => {
    const ramp = Array.from({ length: 30 }, (_, i) => (i % 4 === 0 ? 0 : 100 + 2 * i + 5 * Math.sin(i)));
    const plain = trendOf(ramp)!;
    for (const k of [600, 1010 - 7, -600, -1000]) {
      const t = trendOf(ramp.map((v) => v * 2 ** k))!;
      expect(t.pValueUp).toBe(plain.pValueUp);
      expect(t.slope).toBe(plain.slope * 2 ** k);
    }
  });

  it('a flat series is not a trend; too short a series is not judged', () => {
    expect(trendOf([5, 5, 5, 5, 5, 5, 5])!.pValueUp).toBeGreaterThan(0.4);
    expect(trendOf([1, 2, 3])).toBeUndefined();
  });

  it('a ramp far larger than smooth wiggles around it is a trend; the same wiggles alone are not', () => {
    const wiggle = (i: number) => 0.5 * Math.sin(i / 3);
    expect(trendOf(Array.from({ length: 30 }, (_, i) => 100 + 2 * i + wiggle(i)))!.pValueUp).toBeLessThan(1e-3);
    expect(trendOf(Array.from({ length: 30 }, (_, i) => 100 + wiggle(i)))!.pValueUp).toBeGreaterThan(0.01);
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

describe('roundSig', () => {
  it('never turns a finite number into a non-finite one, whatever its size and sign', async () => {
    const { roundSig } = await import('../../src/core/stats/basic.js');
    for (const v of [Number.MAX_VALUE, -Number.MAX_VALUE, 1.79769e308, 9.9999e307, Number.MIN_VALUE, -Number.MIN_VALUE]) {
      for (const digits of [1, 3, 4, 10]) {
        const r = roundSig(v, digits);
        expect(Number.isFinite(r), `${v} to ${digits} digits`).toBe(true);
        expect(Math.sign(r)).toBe(Math.sign(v));
      }
    }
    // Within the range, still rounded.
    expect(roundSig(123456)).toBe(123500);
    expect(roundSig(1.234567e300, 3)).toBe(1.23e300);
    expect(roundSig(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
    expect(Number.isNaN(roundSig(Number.NaN))).toBe(true);
  });
});

describe('minOf, maxOf', () => {
  it('are Math.min and Math.max of any number of values (the spread overflows the stack past ~100,000)', () => {
    const many = Array.from({ length: 1_000_000 }, (_, i) => (i * 7919) % 1_000_003);
    expect(minOf(many)).toBe(0);
    expect(maxOf(many)).toBe(many.reduce((a, b) => Math.max(a, b)));
    expect([minOf([]), maxOf([])]).toEqual([Infinity, -Infinity]);
    expect([minOf([1, Number.NaN]), maxOf([Number.NaN, 1])]).toEqual([Number.NaN, Number.NaN]);
    expect([minOf([3, -0.5, 2]), maxOf([3, -0.5, 2])]).toEqual([-0.5, 3]);
  });
});
