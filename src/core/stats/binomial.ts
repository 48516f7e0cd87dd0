/**
 * Count-aware comparison of two event rates (errors per request). The exact part: given all the
 * events seen in both phases, how surprising is it that this many fell in POST if the rate did not
 * change? Under H0 the POST count is Binomial(total events, POST share of the requests).
 *
 * That holds only if events are independent. Real errors come in bursts (one bad client, one bad
 * host), and an app's rate is often a rolling window sampled more often than its length, so the
 * per-sample counts are overdispersed and serially dependent. Both are measured from the samples:
 * the Pearson dispersion of the per-sample counts around each phase's own rate, times the variance
 * inflation of their lag-1 autocorrelation, floored at 1 (never more certain than the binomial),
 * and the binomial z is divided by its square root. The same traffic then gives about the same
 * p-value whatever the sampling interval. Pure.
 */
import { inflation, lag1 } from './dependence.js';
import { normalQuantileUpper, upperNormal } from './distributions.js';
import { countUnit } from './scale.js';

/** Events and requests of one sample (or one phase). */
export interface Counts {
  events: number;
  requests: number;
}

export interface RateTest {
  pValue: number;
  /** Events and requests per phase, as used (events rounded to whole ones). */
  pre: Counts;
  post: Counts;
  /** Variance inflation applied over the binomial: dispersion x serial dependence, at least 1. */
  overdispersion: number;
}

export function rateIncreaseTest(pre: readonly Counts[], post: readonly Counts[]): RateTest {
  // Counts past ~1e150 are divided by a power of four first (scale.ts): their totals, and products
  // of two of them, stay finite, and a rise of the rate at any traffic gets the p-value it calls for.
  const unit = countUnit(largestCount(pre, post), pre.length + post.length);
  const [t1, t2] = [total(pre, unit), total(post, unit)];
  const e1 = Math.round(t1.events);
  const e2 = Math.round(t2.events);
  const n = e1 + e2;
  const share = t2.requests / (t1.requests + t2.requests);
  const result = { pre: inCounts(e1, t1.requests, unit), post: inCounts(e2, t2.requests, unit) };
  if (n === 0 || !(share > 0 && share < 1)) return { pValue: 1, ...result, overdispersion: 1 };
  // The binomial's z, in counts divided by `unit`: sqrt(unit) times it in the counts themselves.
  const z = (e2 - 0.5 / unit - n * share) / Math.sqrt(n * share * (1 - share));
  const exact = unit === 1 ? binomialUpperTail(e2, n, share) : upperNormal(z * Math.sqrt(unit));
  // Likewise the dispersion of the counts themselves is `unit` times phi.
  const phi = dispersion(pre, post, t1, t2, unit);
  const overdispersion = Math.max(1, Math.min(Number.MAX_VALUE, phi * unit));
  if (overdispersion === 1 || exact >= 0.5) return { pValue: exact, ...result, overdispersion };
  // z / sqrt(dispersion) is the same in either units. Where the exact tail is too small for a
  // double (0), its quantile would be infinite and overrule any dispersion: the normal z stands in.
  const deflated = unit === 1 && exact > 0 ? normalQuantileUpper(exact) / Math.sqrt(overdispersion) : z / Math.sqrt(phi);
  return { pValue: upperNormal(deflated), ...result, overdispersion };
}

/** Whole events counted over an exposure (a number of equal intervals, or seconds). */
export interface Counted {
  count: number;
  exposure: number;
}

/**
 * The exact test of a change in a counted rate: given every event counted in both phases, how
 * surprising is it that this many fell in the phase the bad direction fills (POST for an increase,
 * PRE for a decrease; two-sided for `both`) if the rate per interval did not change? Under H0 that
 * phase's count is Binomial(all events, its share of the exposure): exact for Poisson counts, the
 * most certain any test of these counts can honestly be (real counts are burstier still).
 */
export function countChangeP(pre: Counted, post: Counted, direction: 'increase' | 'decrease' | 'both'): number {
  const n = pre.count + post.count;
  const postShare = post.exposure / (pre.exposure + post.exposure);
  const up = binomialUpperTail(post.count, n, postShare);
  const down = binomialUpperTail(pre.count, n, 1 - postShare);
  return direction === 'increase' ? up : direction === 'decrease' ? down : Math.min(1, 2 * Math.min(up, down));
}

/** Events over requests, summed in counts divided by a common power of four so no total overflows. */
export function rateOf(list: readonly Counts[]): number {
  const t = total(list, countUnit(largestCount(list), list.length));
  return t.requests > 0 ? t.events / t.requests : 0;
}

/** A phase's events (rounded to whole ones, as the test takes them) and requests, summed overflow-safe. */
export function totalsOf(list: readonly Counts[]): Counts {
  const unit = countUnit(largestCount(list), list.length);
  const t = total(list, unit);
  return inCounts(Math.round(t.events), t.requests, unit);
}

function largestCount(...lists: (readonly Counts[])[]): number {
  let largest = 0;
  for (const list of lists) for (const c of list) largest = Math.max(largest, c.events, c.requests);
  return largest;
}

function total(list: readonly Counts[], unit: number): Counts {
  const t = { events: 0, requests: 0 };
  for (const c of list) {
    t.events += c.events / unit;
    t.requests += c.requests / unit;
  }
  return t;
}

/** Totals back in counts; past the largest double they are shown as the largest double (JSON has no Infinity). */
function inCounts(events: number, requests: number, unit: number): Counts {
  return { events: Math.min(Number.MAX_VALUE, events * unit), requests: Math.min(Number.MAX_VALUE, requests * unit) };
}

/**
 * Pearson dispersion of the per-sample counts around each phase's rate, times the autocorrelation
 * inflation; counts and totals divided by `unit` (the dispersion of the counts themselves is
 * `unit` times it).
 */
function dispersion(pre: readonly Counts[], post: readonly Counts[], t1: Counts, t2: Counts, unit: number): number {
  const pooled = (t1.events + t2.events) / (t1.requests + t2.requests);
  if (!(pooled > 0 && pooled < 1)) return 1 / unit;
  // A sample's requests are divided by `unit` first, then tested: a handful of requests next to
  // 1e300 in another sample vanish in that unit (0 / 0 made the dispersion, and the p-value, NaN).
  // A sample whose binomial variance underflows to 0 (a subnormal request count times a tiny rate)
  // says nothing, and 0 / 0 made the dispersion NaN.
  const residuals = (list: readonly Counts[], rate: number) =>
    list
      .map((c) => ({ events: c.events / unit, requests: c.requests / unit }))
      .map((c) => ({ ...c, variance: c.requests * pooled * (1 - pooled) }))
      .filter((c) => c.variance > 0)
      .map((c) => (c.events - c.requests * rate) / Math.sqrt(c.variance));
  const r1 = residuals(pre, t1.requests > 0 ? t1.events / t1.requests : 0);
  const r2 = residuals(post, t2.requests > 0 ? t2.events / t2.requests : 0);
  const k = r1.length + r2.length;
  // Two rates are estimated from the samples; with fewer than 3 samples left over, nothing can be measured.
  if (k < 5) return 1 / unit;
  let chi2 = 0;
  for (const v of r1) chi2 += v * v;
  for (const v of r2) chi2 += v * v;
  const phi = chi2 / (k - 2);
  return phi * inflation(lag1([r1, r2]));
}

/** P(X >= k), X ~ Binomial(n, p); exact in log space up to a few thousand events, normal beyond. */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (n > 5000) {
    const sd = Math.sqrt(n * p * (1 - p));
    return sd === 0 ? (k <= n * p ? 1 : 0) : upperNormal((k - 0.5 - n * p) / sd);
  }
  const logP = Math.log(p);
  const logQ = Math.log1p(-p);
  let sum = 0;
  for (let i = k; i <= n; i++) {
    const term = Math.exp(logChoose(n, i) + i * logP + (n - i) * logQ);
    sum += term;
    if (term < sum * 1e-15 && i > n * p) break;
  }
  return Math.min(1, sum);
}

/**
 * Fisher's exact test, one-sided: P(X >= k) for X ~ Hypergeometric(total, marked, drawn), i.e.
 * given `marked` failures among `total` requests, the chance that `drawn` requests picked at random
 * hold at least `k` of them. Exact where a binomial approximation is not: when failures are a large
 * share of the requests (an endpoint that stopped answering). Decreasing in k for fixed totals.
 */
export function hypergeometricUpperTail(k: number, total: number, marked: number, drawn: number): number {
  const lo = Math.max(0, drawn - (total - marked));
  const hi = Math.min(drawn, marked);
  if (k <= lo) return 1;
  if (k > hi) return 0;
  const logDenominator = logChoose(total, drawn);
  let sum = 0;
  for (let i = k; i <= hi; i++) sum += Math.exp(logChoose(marked, i) + logChoose(total - marked, drawn - i) - logDenominator);
  return Math.min(1, sum);
}

function logChoose(n: number, k: number): number {
  return logFactorial(n) - logFactorial(k) - logFactorial(n - k);
}

const LOG_FACT: number[] = [0];
function logFactorial(n: number): number {
  for (let i = LOG_FACT.length; i <= n; i++) LOG_FACT[i] = LOG_FACT[i - 1]! + Math.log(i);
  return LOG_FACT[n]!;
}
