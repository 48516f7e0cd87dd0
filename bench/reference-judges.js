// The judges seqpulse is compared with, implemented here as references (never shipped):
// a plain mean-vs-threshold judge, and a Kayenta-style judge (per-metric Mann-Whitney, scored).

const finite = (name, samples) => samples.map((s) => s.metrics[name]).filter((v) => typeof v === 'number' && Number.isFinite(v));
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const badPct = (rule, base, delta) => {
  const bad = rule.direction === 'increase' ? delta : rule.direction === 'decrease' ? -delta : Math.abs(delta);
  return base === 0 ? (bad > 0 ? Infinity : 0) : (bad / Math.abs(base)) * 100;
};

function verdictOf(regressions, rules) {
  if (regressions.some((m) => rules[m].critical) || regressions.length >= 2) return 'rollback_recommended';
  return regressions.length === 1 ? 'attention' : 'ok';
}

/** Mean of PRE against mean of POST, relative change against the threshold: what most home-grown gates do. */
export function meanThresholdJudge({ pre, post, rules }) {
  const regressions = [];
  for (const [name, rule] of Object.entries(rules)) {
    const a = finite(name, pre);
    const b = finite(name, post);
    if (a.length === 0 || b.length === 0) continue;
    if (badPct(rule, mean(a), mean(b) - mean(a)) >= rule.threshold) regressions.push(name);
  }
  return verdictOf(regressions, rules);
}

/**
 * Kayenta-style: each metric is classified by a two-sided Mann-Whitney test (alpha 0.05) and the
 * direction of the shift; a metric with fewer than 3 points on a side is dropped (NaN-filtered).
 * Score = share of metrics that pass; >= 95 ok, >= 75 attention (marginal), else rollback. A failing
 * critical metric fails the canary outright.
 */
export function kayentaJudge({ pre, post, rules }) {
  let considered = 0;
  let passed = 0;
  let criticalFail = false;
  for (const [name, rule] of Object.entries(rules)) {
    const a = finite(name, pre);
    const b = finite(name, post);
    if (a.length < 3 || b.length < 3) continue;
    considered++;
    const { z } = mannWhitneyZ(a, b);
    const p = 2 * upperNormal(Math.abs(z));
    const higher = z > 0;
    const bad = p < 0.05 && (rule.direction === 'both' || (rule.direction === 'increase') === higher);
    if (bad && rule.critical) criticalFail = true;
    if (!bad) passed++;
  }
  if (considered === 0) return 'attention';
  if (criticalFail) return 'rollback_recommended';
  const score = (passed / considered) * 100;
  return score >= 95 ? 'ok' : score >= 75 ? 'attention' : 'rollback_recommended';
}

function mannWhitneyZ(a, b) {
  const all = [...a.map((v) => [v, 0]), ...b.map((v) => [v, 1])].sort((x, y) => x[0] - y[0]);
  const ranks = new Array(all.length);
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j][0] === all[i][0]) j++;
    for (let k = i; k < j; k++) ranks[k] = (i + j + 1) / 2;
    i = j;
  }
  let rb = 0;
  all.forEach(([, g], i) => (rb += g === 1 ? ranks[i] : 0));
  const n1 = a.length;
  const n2 = b.length;
  const u = rb - (n2 * (n2 + 1)) / 2;
  const sd = Math.sqrt((n1 * n2 * (n1 + n2 + 1)) / 12);
  return { z: sd === 0 ? 0 : (u - (n1 * n2) / 2) / sd };
}

function upperNormal(z) {
  // Abramowitz-Stegun 7.1.26 via erf.
  const t = 1 / (1 + 0.3275911 * (Math.abs(z) / Math.SQRT2));
  const erf = 1 - (((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t) * Math.exp(-(z * z) / 2);
  return z >= 0 ? (1 - erf) / 2 : (1 + erf) / 2;
}
