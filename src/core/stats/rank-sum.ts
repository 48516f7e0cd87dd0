/**
 * Mann-Whitney / Wilcoxon rank-sum test, one-sided: is `b` stochastically greater than `a`?
 * Exact (a permutation distribution over mid-ranks, so ties are handled exactly) for small
 * samples, where it works from 3 values per side; normal approximation with tie correction
 * beyond. Pure.
 */
import { sortedCopy } from './basic.js';

/**
 * Work budgets (inner-loop steps) for the exact distributions. The live view and the early decision
 * judge every metric after every tick, so one test must stay well under a millisecond; past these
 * sizes the normal approximation is accurate to a few thousandths of p anyway.
 */
const NO_TIES_BUDGET = 400_000;
const TIES_BUDGET = 600_000;

export interface RankSumResult {
  /** P(a random split gives a rank sum for `b` at least this large), i.e. small when b > a. */
  pValue: number;
  /** Smallest p-value these sample sizes can reach: when it is above alpha, the test has no power. */
  minPValue: number;
  exact: boolean;
}

/**
 * The exact no-ties distribution for sample sizes (m, n), as `uCounts` computes it. It depends on
 * the sizes only, so a caller judging many metrics of the same sizes passes a cached one.
 */
export type CountsOf = (m: number, n: number) => Float64Array;

export function rankSumGreater(a: ArrayLike<number>, b: ArrayLike<number>, countsOf: CountsOf = uCounts): RankSumResult {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) return { pValue: 1, minPValue: 1, exact: true };
  const small = Math.min(n1, n2);
  const exactWithoutTies = small * small * Math.max(n1, n2) <= NO_TIES_BUDGET;
  const exactWithTies = (n1 + n2) * small * 2 * (n1 + n2) * small <= TIES_BUDGET;
  // Ranks only when an exact distribution is affordable: large samples go straight to the sorted merge.
  if (exactWithoutTies || exactWithTies) {
    const { ranks2, tied } = doubledMidRanks(a, b); // doubled so mid-ranks of ties stay integers
    let observed = 0;
    for (let i = n1; i < n1 + n2; i++) observed += ranks2[i]!;
    if (!tied && exactWithoutTies) return withoutTies(n1, n2, observed / 2, countsOf);
    if (tied && exactWithTies) return withTies(ranks2, n1, n2, observed);
  }
  return { ...normalApprox(sortedCopy(a), sortedCopy(b)), exact: false };
}

/**
 * No ties: the rank sum of b is U + n2(n2+1)/2 and U's distribution is the coefficient list of the
 * Gaussian binomial [n1+n2 choose m]_q, built as a product of m factors in O(m^2 n). Only the lower
 * half is computed with full relative precision (the running sums cancel in the upper half), so
 * both tails are read from it through U's symmetry.
 */
function withoutTies(n1: number, n2: number, rankSumB: number, countsOf: CountsOf): RankSumResult {
  const m = Math.min(n1, n2);
  const n = Math.max(n1, n2);
  const counts = countsOf(m, n);
  const top = m * n;
  const u = rankSumB - (n2 * (n2 + 1)) / 2;
  let tail = 0;
  let all = 0;
  for (let k = 0; k <= top; k++) {
    const c = counts[Math.min(k, top - k)]!;
    all += c;
    if (k >= u) tail += c;
  }
  return { pValue: tail / all, minPValue: 1 / all, exact: true };
}

/** Coefficients of prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i): how many splits give each U (m <= n). */
export function uCounts(m: number, n: number): Float64Array {
  const p = new Float64Array(m * n + 1);
  p[0] = 1;
  let degree = 0;
  for (let i = 1; i <= m; i++) {
    const shift = n + i;
    const raised = degree + shift;
    for (let k = raised; k >= shift; k--) p[k]! -= p[k - shift]!;
    for (let k = i; k <= raised; k++) p[k]! += p[k - i]!;
    degree = raised - i;
  }
  return p;
}

/** Ties: the permutation distribution over the actual mid-ranks (a subset-sum count). */
function withTies(ranks2: Float64Array, n1: number, n2: number, observed: number): RankSumResult {
  const small = Math.min(n1, n2);
  const total = ((n1 + n2) * (n1 + n2 + 1)) | 0; // sum of doubled ranks of everything
  // Work with the smaller group for the exact distribution: P(S_b >= obs) = P(S_a <= total - obs).
  const counts = rankSumCounts(ranks2, small);
  const upper = n2 <= n1; // which tail of the smaller group's distribution means "b is greater"
  const target = upper ? observed : total - observed;
  let tail = 0;
  let all = 0;
  for (let s = 0; s < counts.length; s++) {
    all += counts[s]!;
    if (upper ? s >= target : s <= target) tail += counts[s]!;
  }
  // The most extreme split possible: all of b above all of a.
  const extreme = upper ? counts[counts.length - 1]! : counts.find((c) => c > 0)!;
  return { pValue: tail / all, minPValue: extreme / all, exact: true };
}

/** Counts of each doubled rank sum over all ways to choose `k` of the ranks. */
function rankSumCounts(ranks2: Float64Array, k: number): Float64Array {
  const maxSum = ranks2.slice().sort().subarray(ranks2.length - k).reduce((s, r) => s + r, 0);
  // dp[j][s]: ways to choose j items with rank sum s; rolled over items, j descending.
  const dp = Array.from({ length: k + 1 }, () => new Float64Array(maxSum + 1));
  dp[0]![0] = 1;
  let seen = 0;
  for (const r of ranks2) {
    seen++;
    for (let j = Math.min(seen, k); j >= 1; j--) {
      const from = dp[j - 1]!;
      const to = dp[j]!;
      for (let s = maxSum - r; s >= 0; s--) if (from[s]! !== 0) to[s + r]! += from[s]!;
    }
  }
  return dp[k]!;
}

/**
 * Large samples: both sides sorted, then one merge pass gives b's rank sum and the tie
 * groups; z with tie correction and a continuity correction.
 */
function normalApprox(x: Float64Array, y: Float64Array): Omit<RankSumResult, 'exact'> {
  const n1 = x.length;
  const n2 = y.length;
  const n = n1 + n2;
  let i = 0;
  let j = 0;
  let rank = 0; // ranks assigned so far
  let sumB = 0;
  let ties = 0;
  while (i < n1 || j < n2) {
    const v = j >= n2 || (i < n1 && x[i]! <= y[j]!) ? x[i]! : y[j]!;
    const startA = i;
    const startB = j;
    while (i < n1 && x[i] === v) i++;
    while (j < n2 && y[j] === v) j++;
    const inB = j - startB;
    const t = i - startA + inB;
    const mid = rank + (t + 1) / 2;
    sumB += inB * mid;
    ties += t * t * t - t;
    rank += t;
  }
  const mean = (n2 * (n + 1)) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - ties / (n * (n - 1)));
  if (variance <= 0) return { pValue: 1, minPValue: 1 };
  const sd = Math.sqrt(variance);
  const z = (sumB - mean - 0.5) / sd;
  const zMax = ((n2 * (2 * n - n2 + 1)) / 2 - mean - 0.5) / sd;
  return { pValue: upperNormal(z), minPValue: upperNormal(zMax) };
}

/**
 * Each value's mid-rank among a and b together, doubled so the mid-ranks of ties stay integers;
 * a's values first, then b's. Ranks come from one native sort of the values and two binary searches
 * per value: no comparator, no boxed numbers (the live view runs this for every metric after every tick).
 */
function doubledMidRanks(a: ArrayLike<number>, b: ArrayLike<number>): { ranks2: Float64Array; tied: boolean } {
  const n = a.length + b.length;
  const sorted = new Float64Array(n);
  sorted.set(a);
  sorted.set(b, a.length);
  sorted.sort();
  let tied = false;
  for (let i = 1; i < n && !tied; i++) tied = sorted[i] === sorted[i - 1];
  const ranks2 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = i < a.length ? a[i]! : b[i - a.length]!;
    // v's group occupies sorted[lo, hi): ranks lo+1..hi, whose mean doubled is lo+1+hi.
    ranks2[i] = firstIndex(sorted, v, false) + 1 + firstIndex(sorted, v, true);
  }
  return { ranks2, tied };
}

/** The first index whose value is >= v (or > v with `after`) in an ascending array. */
function firstIndex(sorted: Float64Array, v: number, after: boolean): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < v || (after && sorted[mid] === v)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** P(Z >= z) for a standard normal. */
export function upperNormal(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** Complementary error function (Numerical Recipes' erfcc, relative error < 1.2e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}
