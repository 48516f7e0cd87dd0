/**
 * A step at the deploy, in a series whose level wanders: the local-level model
 *   y_t = mu_t + delta * [t is after the deploy] + e_t,   mu_t = mu_{t-1} + w_t,
 * with noise variance s2 (e) and level variance q per sample (w), both read from the differences
 * inside each phase. The Kalman filter gives the best linear estimate of delta and its variance:
 * when the level does not wander (q = 0) it compares the whole phases; the more it wanders, the
 * more it weighs the samples next to the deploy, so a drift that was under way is not read as the
 * deploy's step, and an abrupt step still is. Pure.
 */
import { sdFromAbsDeviations } from './basic.js';

export interface StepEstimate {
  delta: number;
  se: number;
  q: number;
  s2: number;
}

/** Robust variance of the differences x[i+k] - x[i] inside each run. */
function diffVariance(runs: readonly Float64Array[], k: number): { v: number; count: number } {
  let count = 0;
  for (const r of runs) count += Math.max(0, r.length - k);
  if (count === 0) return { v: Number.NaN, count: 0 };
  const d = new Float64Array(count);
  let j = 0;
  for (const r of runs) for (let i = 0; i + k < r.length; i++) d[j++] = Math.abs(r[i + k]! - r[i]!);
  return { v: sdFromAbsDeviations(d) ** 2, count };
}

export function stepAtDeploy(pre: Float64Array, post: Float64Array, gap: number, lag = 4): StepEstimate | undefined {
  const n = pre.length;
  const m = post.length;
  if (n < 2 || m < 2) return undefined;
  const k = Math.max(2, Math.min(lag, Math.floor(Math.max(n, m) / 2)));
  const v1 = diffVariance([pre, post], 1);
  const vk = diffVariance([pre, post], k);
  if (!(v1.count > 0)) return undefined;
  const q = vk.count > 0 && Number.isFinite(vk.v) ? Math.max(0, (vk.v - v1.v) / (k - 1)) : 0;
  const s2 = Math.max((v1.v - q) / 2, v1.v / 20, 0);
  // Kalman filter over [mu, delta], started exactly as a diffuse prior would leave it, without one:
  // a prior variance "far larger than anything" next to a noise of the values' last bits (a PRE flat
  // to 1e-8) spans 30 orders of magnitude, and the updates lost every digit of the step (a doubling
  // read as p = 1). The first PRE sample places the level (its variance: the noise); delta is known
  // from nothing until the first POST sample, which places it at that sample less the level.
  let mu = pre[0]!;
  let p11 = s2;
  for (let i = 1; i < n; i++) {
    p11 += q;
    const k = p11 / (p11 + s2);
    mu += k * (pre[i]! - mu);
    p11 -= k * p11;
  }
  for (let g = 0; g < gap; g++) p11 += q;
  p11 += q;
  // The first POST sample says nothing of the level (delta takes all of it): delta = y - mu, with the
  // level's variance and the sample's own noise, and minus the level's variance as their covariance.
  let d = post[0]! - mu;
  let p22 = p11 + s2;
  let p12 = -p11;
  const observe = (y: number) => {
    // y = mu + d + e
    const f = p11 + 2 * p12 + p22 + s2;
    const v = y - mu - d;
    const k1 = (p11 + p12) / f;
    const k2 = (p12 + p22) / f;
    mu += k1 * v;
    d += k2 * v;
    const n11 = p11 - k1 * (p11 + p12);
    const n12 = p12 - k1 * (p12 + p22);
    const n22 = p22 - k2 * (p12 + p22);
    p11 = n11;
    p12 = n12;
    p22 = n22;
  };
  for (let i = 1; i < m; i++) {
    p11 += q;
    observe(post[i]!);
  }
  // A level the differences cannot measure (no noise and no wander at all) gives no estimate.
  if (!Number.isFinite(d) || !Number.isFinite(p22)) return undefined;
  return { delta: d, se: Math.sqrt(Math.max(0, p22)), q, s2 };
}
