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
  // Kalman filter over [mu, delta], with a diffuse start: a prior variance far larger than anything
  // in the data, in the data's own units (so the estimate does not depend on them).
  let range = 0;
  for (const x of [pre, post]) for (let i = 0; i < x.length; i++) range = Math.max(range, Math.abs(x[i]! - pre[0]!));
  const big = 1e8 * Math.max(s2 + q, range * range, Number.MIN_VALUE);
  let mu = pre[0]!;
  let d = 0;
  let p11 = big;
  let p12 = 0;
  let p22 = big;
  const observe = (y: number, z: number) => {
    // y = mu + z * d + e
    const f = p11 + 2 * z * p12 + z * z * p22 + s2;
    const v = y - mu - z * d;
    const k1 = (p11 + z * p12) / f;
    const k2 = (p12 + z * p22) / f;
    mu += k1 * v;
    d += k2 * v;
    const n11 = p11 - k1 * (p11 + z * p12);
    const n12 = p12 - k1 * (p12 + z * p22);
    const n22 = p22 - k2 * (p12 + z * p22);
    p11 = n11;
    p12 = n12;
    p22 = n22;
  };
  const predict = () => {
    p11 += q;
  };
  for (let i = 0; i < n; i++) {
    if (i > 0) predict();
    observe(pre[i]!, 0);
  }
  for (let g = 0; g < gap; g++) predict();
  for (let i = 0; i < m; i++) {
    predict();
    observe(post[i]!, 1);
  }
  // A level the differences cannot measure (no noise and no wander at all) gives no estimate.
  if (!Number.isFinite(d) || !Number.isFinite(p22)) return undefined;
  return { delta: d, se: Math.sqrt(Math.max(0, p22)), q, s2 };
}
