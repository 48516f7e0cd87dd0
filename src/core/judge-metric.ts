/**
 * One metric, PRE against POST. A move counts only when it is large enough (the rule's bands and
 * absolute floor) AND unlikely to be noise (a one-sided test in the bad direction: rank-sum on the
 * samples, or a binomial test on event counts when request volume is known). The first POST
 * samples are set aside as a settle period, so a restart blip does not count; a step that persists
 * does. A steady rise inside the window (trend) is caught even under the threshold. Pure.
 */
import { median, medianInPlace, roundSig } from './stats/basic.js';
import { rateIncreaseTest } from './stats/binomial.js';
import { rankSumGreater, uCounts } from './stats/rank-sum.js';
import { trendOf } from './stats/trend.js';
import { ABSENT, NUMBER, type PhaseColumns } from './columns.js';
import type { Scratch } from './scratch.js';
import type { Evidence, MetricResult, MetricRule, MetricStatus } from './types.js';

/** Samples per side given to the rank-sum test at most (see `stride`). */
const MAX_TESTED = 2000;

/** Every k-th value so that at most `max` remain: deterministic, and spread over the whole window. */
function stride(values: Float64Array, max: number, space: () => Float64Array): Float64Array {
  if (values.length <= max) return values;
  const step = values.length / max;
  const out = space();
  for (let i = 0; i < max; i++) out[i] = values[Math.floor(i * step)]!;
  return out;
}

/** The attention band's significance level, as a share of alpha (0.05 -> 0.01). */
const BAND_ALPHA_SHARE = 0.2;

/** Trend test significance: stricter than the level test, a window has many chances to look like a trend. */
const TREND_ALPHA = 0.01;

export interface JudgeContext {
  alpha: number;
  /** POST samples to set aside at the start. */
  settle: number;
  /** Seconds per sample, to turn per-second volumes into counts. */
  intervalSeconds: number;
  /** Work arrays, reused from metric to metric. */
  scratch: Scratch;
}

export interface MetricJudgement {
  result: MetricResult;
  /** Whether the metric appeared at all, in either phase. */
  seen: boolean;
  /** A move past the threshold that the test could not tell from noise. */
  uncertain: boolean;
  /** A steady move inside the window, past the trend band. */
  trending: boolean;
  /** The settle samples were past the threshold, the rest is fine: a transient blip that recovered. */
  blip: boolean;
  /** Would have been a regression, but too few samples or too little traffic to call it one. */
  capped: 'few_samples' | 'low_volume' | null;
  /** Set by the analysis when a rise is explained by a rise in traffic. */
  explainedByTraffic?: boolean;
}

interface Series {
  values: Float64Array;
  /** The rule's volume (requests per second) next to each value, NaN where it was not usable; null without a volume rule. */
  volumes: Float64Array | null;
  invalid: number;
  present: number;
}

export function judgeMetric(name: string, rule: MetricRule, pre: PhaseColumns, post: PhaseColumns, ctx: JudgeContext): MetricJudgement {
  const scratch = ctx.scratch;
  const before = series(name, rule, pre, scratch, 'before');
  // Settle: set the first samples aside, unless that would leave too few to judge.
  const settle = post.length - ctx.settle >= rule.min_samples ? ctx.settle : 0;
  const after = series(name, rule, post, scratch, 'after', settle);
  const skipped = settle > 0 ? series(name, rule, post, scratch, 'skipped', 0, settle) : undefined;
  const space = (n: number) => scratch.take('median', n);
  const postInvalid = after.invalid + (skipped?.invalid ?? 0);
  const postPresent = after.present + (skipped?.present ?? 0);

  const evidence: Evidence = { test: 'none', p_value: null, untestable: true, settle_skipped: settle, invalid: { pre: before.invalid, post: postInvalid } };
  const judgement: Omit<MetricJudgement, 'result'> = { seen: before.present + postPresent > 0, uncertain: false, trending: false, blip: false, capped: null };
  const base = { name, threshold_pct: rule.threshold, direction: rule.direction, samples: { pre: before.values.length, post: after.values.length }, evidence };

  if (after.values.length === 0 || before.values.length === 0) {
    const status: MetricStatus = after.values.length === 0 ? 'no_data' : 'no_baseline';
    const baseline = before.values.length > 0 ? roundSig(medianInPlace(before.values)) : null;
    const current = after.values.length > 0 ? roundSig(medianInPlace(after.values)) : null;
    return { ...judgement, result: { ...base, baseline, current, change_pct: null, status } };
  }

  // Order-dependent work first (the test's subset, the trend); the medians then reorder the arrays in place.
  const test = significance(rule, before, after, ctx);
  const trend = rule.trend ? trendOf(after.values, space) : undefined;
  const end = trend ? median(after.values, after.values.length - Math.ceil(after.values.length / 3), after.values.length, space) : Number.NaN;
  const baseline = medianInPlace(before.values);
  const current = medianInPlace(after.values);
  const delta = current - baseline;
  const badPct = badPercent(rule, baseline, delta);
  Object.assign(evidence, test.evidence);
  const significant = evidence.untestable || (evidence.p_value !== null && evidence.p_value <= ctx.alpha);
  // The attention band is crossed by noise more often than the threshold: it asks for stronger evidence.
  const bandSignificant = evidence.untestable || (evidence.p_value !== null && evidence.p_value <= ctx.alpha * BAND_ALPHA_SHARE);
  const moved = delta !== 0 && Math.abs(delta) >= rule.min_delta;

  let status: MetricStatus = 'ok';
  if (moved && badPct >= rule.threshold && significant) {
    judgement.capped = before.values.length < rule.min_samples || after.values.length < rule.min_samples ? 'few_samples' : test.lowVolume ? 'low_volume' : null;
    status = judgement.capped ? 'warning' : 'regression';
  } else if (moved && badPct >= rule.attention && bandSignificant) {
    status = 'warning';
  } else if (moved && badPct >= rule.threshold) {
    status = 'warning';
    judgement.uncertain = true;
  } else if (moved && rule.direction !== 'both' && -badPct >= rule.threshold) {
    status = 'improvement';
  }

  if (trend && baseline !== 0 && status !== 'regression') {
    const projected = trend.slope * (after.values.length - 1);
    const pValue = rule.direction === 'decrease' ? trend.pValueDown : trend.pValueUp;
    evidence.trend = { change_pct: Math.round((projected / Math.abs(baseline)) * 1000) / 10, p_value: roundSig(pValue, 3) };
    // A quarter of the threshold over one window is a steady drift worth a look (a leak, a creep),
    // provided the end of the window really sits that far past the baseline (not a dip recovering).
    const band = rule.threshold / 4;
    if (pValue < TREND_ALPHA && badPercent(rule, baseline, projected) >= band && badPercent(rule, baseline, end - baseline) >= band) {
      judgement.trending = true;
      status = 'warning';
    }
  }

  if (skipped && skipped.values.length > 0 && (status === 'ok' || status === 'improvement')) {
    const blipDelta = medianInPlace(skipped.values) - baseline;
    judgement.blip = Math.abs(blipDelta) >= rule.min_delta && badPercent(rule, baseline, blipDelta) >= rule.threshold;
  }

  const changePct = baseline !== 0 ? (delta / Math.abs(baseline)) * 100 : delta === 0 ? 0 : null;
  return {
    ...judgement,
    result: {
      ...base,
      baseline: roundSig(baseline),
      current: roundSig(current),
      change_pct: changePct === null ? null : Math.round(changePct * 10) / 10,
      status,
    },
  };
}

/** The change in the rule's bad direction, in percent of the baseline (Infinity from a zero baseline). */
export function badPercent(rule: MetricRule, baseline: number, delta: number): number {
  const bad = rule.direction === 'increase' ? delta : rule.direction === 'decrease' ? -delta : Math.abs(delta);
  if (baseline === 0) return bad > 0 ? Number.POSITIVE_INFINITY : bad < 0 ? Number.NEGATIVE_INFINITY : 0;
  return (bad / Math.abs(baseline)) * 100;
}

function significance(rule: MetricRule, before: Series, after: Series, ctx: JudgeContext): { evidence: Partial<Evidence>; lowVolume: boolean } {
  const [beforeVol, afterVol] = [withVolume(before), withVolume(after)];
  if (rule.volume && rule.direction === 'increase' && beforeVol.length > 0 && afterVol.length > 0) {
    const counts = (pairs: [number, number][]) => ({
      events: pairs.reduce((s, [v, vol]) => s + v * vol * ctx.intervalSeconds, 0),
      requests: pairs.reduce((s, [, vol]) => s + vol * ctx.intervalSeconds, 0),
    });
    const t = rateIncreaseTest(counts(beforeVol), counts(afterVol));
    return {
      evidence: {
        test: 'rate',
        p_value: roundSig(t.pValue, 3),
        untestable: false,
        counts: { pre_events: t.pre.events, pre_requests: Math.round(t.pre.requests), post_events: t.post.events, post_requests: Math.round(t.post.requests) },
      },
      lowVolume: t.post.requests < rule.min_volume,
    };
  }
  // Past a few thousand samples a side, an evenly spaced subset tests just as well and keeps long windows cheap.
  const a = stride(before.values, MAX_TESTED, () => ctx.scratch.take('test_a', MAX_TESTED));
  const b = stride(after.values, MAX_TESTED, () => ctx.scratch.take('test_b', MAX_TESTED));
  const countsOf = (m: number, n: number) => ctx.scratch.memo(`u_counts:${m}:${n}`, () => uCounts(m, n));
  const up = () => rankSumGreater(a, b, countsOf);
  const down = () => rankSumGreater(b, a, countsOf);
  let r;
  if (rule.direction === 'both') {
    const [a, b] = [up(), down()];
    r = { pValue: Math.min(1, 2 * Math.min(a.pValue, b.pValue)), minPValue: Math.min(1, 2 * a.minPValue) };
  } else {
    r = rule.direction === 'increase' ? up() : down();
  }
  return { evidence: { test: 'rank_sum', p_value: roundSig(r.pValue, 3), untestable: r.minPValue > ctx.alpha }, lowVolume: false };
}

/** The metric's usable values over samples [from, to), with their volumes when the rule has one, in the role's scratch arrays. */
function series(name: string, rule: MetricRule, phase: PhaseColumns, scratch: Scratch, role: 'before' | 'after' | 'skipped', from = 0, to = phase.length): Series {
  const col = phase.column(name, from, to);
  const vol = rule.volume ? phase.column(rule.volume, from, to) : null;
  const values = scratch.take(role, to - from);
  const volumes = vol ? scratch.take(`${role}_volume`, to - from) : null;
  let n = 0;
  let invalid = 0;
  let present = 0;
  for (let i = 0; i < col.state.length; i++) {
    const state = col.state[i]!;
    if (state === ABSENT) continue;
    present++;
    const v = col.values[i]!;
    if (state !== NUMBER || (v < 0 && !rule.allow_negative)) {
      invalid++;
      continue;
    }
    if (vol && volumes) volumes[n] = vol.state[i] === NUMBER && vol.values[i]! >= 0 ? vol.values[i]! : Number.NaN;
    values[n++] = v;
  }
  return { values: values.subarray(0, n), volumes: volumes ? volumes.subarray(0, n) : null, invalid, present };
}

/** (value, volume) pairs where the volume is usable, for the count-aware test. */
function withVolume(s: Series): [number, number][] {
  const pairs: [number, number][] = [];
  s.volumes?.forEach((vol, k) => Number.isNaN(vol) || pairs.push([s.values[k]!, vol]));
  return pairs;
}
