// The early decision under repeated looks (part of `npm run bench:verdicts`): POST samples fed one
// by one to the early decision, as `run` does, on healthy live runs whose noise drifts and has short
// error bursts unrelated to the deploy (one right after it in a third of the runs), for windows of
// 40, 120 and 360 POST samples and --persist 1, 3 and 5; plus windows cut from a real trace. A
// healthy run stopped early is a false early rollback. Then an outage (errors x5, traffic -60%):
// how many samples the decision takes.
import { analyze } from '../build/src/core/analyze.js';
import { DEFAULT_PERSIST, decisiveRegression } from '../build/src/core/early.js';
import { DEFAULT_RULES } from '../build/src/core/rules.js';
import { DEFAULTS } from '../build/src/config/schema.js';
import { settleSamples } from '../build/src/app/report.js';
import { seededRandom as seeded } from '../build/src/demo/app.js';
import { REAL_FAMILIES, realScenarios } from './real-traces.js';
import { gaussian, poisson } from './scenarios.js';

const INTERVAL_MS = 10_000;

/**
 * A live run's samples: every metric an AR(1) noise around a level that drifts (a random walk),
 * traffic counted per second, errors counted from it with bursts (2 to 6 samples at 2x to 5x) that
 * start at random, and error_rate reported as a rolling 60 s figure, as docs/integration.md advises.
 */
export function liveRun(rand, pre, post, { outage = false, burstAtDeploy = false } = {}) {
  const n = pre + post;
  const levels = { latency_p95: 120, latency_p99: 200, cpu_usage: 0.35, memory_usage: 512, requests_per_sec: 200, db_connections: 12 };
  const state = Object.fromEntries(Object.keys(levels).map((k) => [k, { drift: 0, ar: 0 }]));
  let burst = 0;
  let burstFactor = 1;
  const perSecond = [];
  const samples = [];
  for (let i = 0; i < n; i++) {
    const inPost = i >= pre;
    if (burst === 0 && (rand() < 0.02 || (burstAtDeploy && i === pre))) {
      burst = 2 + Math.floor(rand() * 5);
      burstFactor = 2 + 3 * rand();
    }
    const metrics = {};
    for (const [name, level] of Object.entries(levels)) {
      const s = state[name];
      s.drift += 0.01 * gaussian(rand);
      s.ar = 0.7 * s.ar + 0.06 * gaussian(rand);
      metrics[name] = level * Math.exp(s.drift + s.ar);
    }
    if (outage && inPost) metrics.requests_per_sec *= 0.4;
    const requests = Math.round(metrics.requests_per_sec * (INTERVAL_MS / 1000));
    const rate = 0.005 * (burst > 0 ? burstFactor : 1) * (outage && inPost ? 5 : 1);
    perSecond.push({ requests, errors: Math.min(requests, poisson(rand, rate * requests)) });
    if (burst > 0) burst--;
    const last = perSecond.slice(-6);
    const sum = last.reduce((t, c) => ({ requests: t.requests + c.requests, errors: t.errors + c.errors }), { requests: 0, errors: 0 });
    metrics.error_rate = sum.requests > 0 ? sum.errors / sum.requests : 0;
    metrics.requests_per_sec = sum.requests / (last.length * (INTERVAL_MS / 1000));
    metrics.db_connections = Math.round(metrics.db_connections);
    samples.push({ metrics });
  }
  return { pre: samples.slice(0, pre), post: samples.slice(pre) };
}

/** POST samples fed one by one (at the run's own interval, else 10 s): the sample count at which the decision stops the window, or undefined. */
export function stopsAt(run, persist, planned) {
  const intervalMs = run.intervalMs ?? INTERVAL_MS;
  const settle = settleSamples({ window_ms: planned * intervalMs, interval_ms: intervalMs, settle_ms: null });
  for (let k = 1; k <= run.post.length; k++) {
    if (decisiveRegression({ pre: run.pre, post: run.post.slice(0, k), rules: DEFAULT_RULES, intervalMs, settle }, { persist, planned })) return { at: k, settle };
  }
  return { at: undefined, settle };
}

const pct = (n, d) => `${((100 * n) / Math.max(1, d)).toFixed(1)}%`;

export function earlyDecisionBench(runs = 200) {
  const pre = DEFAULTS.pre_samples;
  const rows = [];
  let worst = 0;
  for (const post of [40, 120, 360]) {
    const row = { 'POST samples': post };
    for (const persist of [1, 3, 5]) {
      const rand = seeded(post * 31 + persist);
      let stopped = 0;
      for (let k = 0; k < runs; k++) if (stopsAt(liveRun(rand, pre, post, { burstAtDeploy: k % 3 === 0 }), persist, post).at !== undefined) stopped++;
      row[`false early stops, persist ${persist}`] = pct(stopped, runs);
      worst = Math.max(worst, stopped / runs);
    }
    rows.push(row);
  }
  // Real windows: the steady Azure service, 40 and 120 POST samples.
  const conv = REAL_FAMILIES.find((f) => f.name === 'llm_conv_healthy');
  for (const post of [40, 120]) {
    const row = { 'POST samples': `${post} (real trace)` };
    for (const persist of [1, 3, 5]) {
      const cases = realScenarios({ ...conv, post }, runs, post + persist, pre).map((s) => ({ pre: s.pre, post: s.post }));
      const stopped = cases.filter((s) => stopsAt(s, persist, s.post.length).at !== undefined).length;
      row[`false early stops, persist ${persist}`] = pct(stopped, cases.length);
      worst = Math.max(worst, stopped / cases.length);
    }
    rows.push(row);
  }
  console.log(`\nEarly decision on healthy live runs (drift, error bursts; PRE ${pre} samples at 10 s), ${runs} runs per cell\n`);
  console.table(rows);
  const real = realEarlyStops(pre);

  const outageRows = [];
  let slowest = 0;
  let typical = 0;
  for (const post of [40, 120, 360]) {
    const rand = seeded(post * 7);
    const takes = [];
    let settleAt = 0;
    for (let k = 0; k < 50; k++) {
      const { at, settle } = stopsAt(liveRun(rand, pre, post, { outage: true }), 3, post);
      settleAt = settle;
      takes.push(at === undefined ? Number.POSITIVE_INFINITY : at - settle);
    }
    const max = Math.max(...takes);
    const median = takes.sort((a, b) => a - b)[25];
    slowest = Math.max(slowest, max);
    typical = Math.max(typical, median);
    outageRows.push({ 'POST samples': post, settle: settleAt, 'samples after the settle period, median': median, 'at most': max });
  }
  console.log('\nOutage (errors x5, traffic -60%), persist 3, 50 runs each: when the window stops\n');
  console.table(outageRows);
  return { worstFalseEarly: worst, worstRealExtra: real, typicalOutage: typical, slowestOutage: slowest };
}

/**
 * Every real-noise family's healthy windows (4 seeds x 100, their own interval and POST length), fed
 * sample by sample at the default persist: how many the early decision stops, and how many of those
 * the whole window would not call a rollback. The first includes the false rollbacks of the judge
 * itself (a real traffic fall is one whenever it is judged); the second is what the repeated looks
 * add, the early decision's own error. Returns the worst family's share of the second.
 */
function realEarlyStops(pre) {
  const rows = [];
  let worst = 0;
  for (const family of REAL_FAMILIES.filter((f) => f.expected === 'ok')) {
    const cases = [2026, 7, 11, 42].flatMap((seed) => realScenarios(family, 100, seed, pre));
    let stopped = 0;
    let extra = 0;
    for (const c of cases) {
      const { at, settle } = stopsAt(c, DEFAULT_PERSIST, c.post.length);
      if (at === undefined) continue;
      stopped++;
      if (analyze({ pre: c.pre, post: c.post, rules: DEFAULT_RULES, intervalMs: c.intervalMs, settle }).verdict !== 'rollback_recommended') extra++;
    }
    rows.push({ family: family.name, 'stopped early': pct(stopped, cases.length), 'of which the whole window is no rollback': pct(extra, cases.length) });
    worst = Math.max(worst, extra / cases.length);
  }
  console.log(`\nEarly decision on the real-noise suite's healthy windows (PRE ${pre} samples, persist ${DEFAULT_PERSIST}), 400 per family\n`);
  console.table(rows);
  return worst;
}
