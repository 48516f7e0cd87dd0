/**
 * Count-aware comparison of two event rates (errors per request): given all the events seen in
 * both phases, how surprising is it that this many fell in POST if the rate did not change?
 * Under H0 the POST count is Binomial(total events, POST share of the requests). Pure.
 */
import { upperNormal } from './rank-sum.js';

export interface RateTest {
  pValue: number;
  /** Events and requests per phase, as used (rounded to whole events). */
  pre: { events: number; requests: number };
  post: { events: number; requests: number };
}

export function rateIncreaseTest(pre: { events: number; requests: number }, post: { events: number; requests: number }): RateTest {
  const e1 = Math.round(pre.events);
  const e2 = Math.round(post.events);
  const n = e1 + e2;
  const share = post.requests / (pre.requests + post.requests);
  const result = { pre: { events: e1, requests: pre.requests }, post: { events: e2, requests: post.requests } };
  if (n === 0 || !(share > 0 && share < 1)) return { pValue: 1, ...result };
  return { pValue: binomialUpperTail(e2, n, share), ...result };
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

function logChoose(n: number, k: number): number {
  return logFactorial(n) - logFactorial(k) - logFactorial(n - k);
}

const LOG_FACT: number[] = [0];
function logFactorial(n: number): number {
  for (let i = LOG_FACT.length; i <= n; i++) LOG_FACT[i] = LOG_FACT[i - 1]! + Math.log(i);
  return LOG_FACT[n]!;
}
