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
  const total = (list: readonly Counts[]) => list.reduce((t, c) => ({ events: t.events + c.events, requests: t.requests + c.requests }), { events: 0, requests: 0 });
  const [t1, t2] = [total(pre), total(post)];
  const e1 = Math.round(t1.events);
  const e2 = Math.round(t2.events);
  const n = e1 + e2;
  const share = t2.requests / (t1.requests + t2.requests);
  const result = { pre: { events: e1, requests: t1.requests }, post: { events: e2, requests: t2.requests } };
  if (n === 0 || !(share > 0 && share < 1)) return { pValue: 1, ...result, overdispersion: 1 };
  const exact = binomialUpperTail(e2, n, share);
  const overdispersion = Math.max(1, dispersion(pre, post, t1, t2));
  if (overdispersion === 1 || exact >= 0.5) return { pValue: exact, ...result, overdispersion };
  return { pValue: upperNormal(normalQuantileUpper(exact) / Math.sqrt(overdispersion)), ...result, overdispersion };
}

/** Pearson dispersion of the per-sample counts around each phase's rate, times the autocorrelation inflation. */
function dispersion(pre: readonly Counts[], post: readonly Counts[], t1: Counts, t2: Counts): number {
  const pooled = (t1.events + t2.events) / (t1.requests + t2.requests);
  if (!(pooled > 0 && pooled < 1)) return 1;
  const residuals = (list: readonly Counts[], rate: number) =>
    list.filter((c) => c.requests > 0).map((c) => (c.events - c.requests * rate) / Math.sqrt(c.requests * pooled * (1 - pooled)));
  const r1 = residuals(pre, t1.requests > 0 ? t1.events / t1.requests : 0);
  const r2 = residuals(post, t2.requests > 0 ? t2.events / t2.requests : 0);
  const k = r1.length + r2.length;
  // Two rates are estimated from the samples; with fewer than 3 samples left over, nothing can be measured.
  if (k < 5) return 1;
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
