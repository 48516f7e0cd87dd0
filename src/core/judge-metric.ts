/**
 * One metric, PRE against POST. A move counts only when it is large enough (the rule's bands and
 * absolute floor) AND unlikely to be noise (a one-sided test in the bad direction: rank-sum on the
 * samples, or a binomial test on event counts when request volume is known). The first POST
 * samples are set aside as a settle period, so a restart blip does not count; a step that persists
 * does. A steady rise inside the window (trend) is caught even under the threshold. Pure.
 */
import { isMeasurement, median, roundSig } from './stats/basic.js';
import { rateIncreaseTest } from './stats/binomial.js';
import { rankSumGreater } from './stats/rank-sum.js';
import { trendOf } from './stats/trend.js';
import type { Evidence, MetricResult, MetricRule, MetricSnapshot, MetricStatus } from './types.js';

/** Trend test significance: stricter than the level test, a window has many chances to look like a trend. */
const TREND_ALPHA = 0.01;

export interface JudgeContext {
  alpha: number;
  /** POST samples to set aside at the start. */
  settle: number;
  /** Seconds per sample, to turn per-second volumes into counts. */
  intervalSeconds: number;
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
  values: number[];
  /** Per-sample pairs of (value, volume) where both are usable, for the count-aware test. */
  withVolume: [number, number][];
  invalid: number;
  present: number;
}

export function judgeMetric(name: string, rule: MetricRule, pre: readonly MetricSnapshot[], post: readonly MetricSnapshot[], ctx: JudgeContext): MetricJudgement {
  const before = series(name, rule, pre);
  const all = series(name, rule, post);
  // Settle: set the first samples aside, unless that would leave too few to judge.
  const settle = post.length - ctx.settle >= rule.min_samples ? ctx.settle : 0;
  const after = settle > 0 ? series(name, rule, post.slice(settle)) : all;
  const skipped = settle > 0 ? series(name, rule, post.slice(0, settle)) : undefined;

  const evidence: Evidence = { test: 'none', p_value: null, untestable: true, settle_skipped: settle, invalid: { pre: before.invalid, post: all.invalid } };
  const judgement: Omit<MetricJudgement, 'result'> = { seen: before.present + all.present > 0, uncertain: false, trending: false, blip: false, capped: null };
  const base = { name, threshold_pct: rule.threshold, direction: rule.direction, samples: { pre: before.values.length, post: after.values.length }, evidence };

  if (after.values.length === 0 || before.values.length === 0) {
    const status: MetricStatus = after.values.length === 0 ? 'no_data' : 'no_baseline';
    const baseline = before.values.length > 0 ? roundSig(median(before.values)) : null;
    const current = after.values.length > 0 ? roundSig(median(after.values)) : null;
    return { ...judgement, result: { ...base, baseline, current, change_pct: null, status } };
  }

  const baseline = median(before.values);
  const current = median(after.values);
  const delta = current - baseline;
  const badPct = badPercent(rule, baseline, delta);
  const test = significance(rule, before, after, ctx);
  Object.assign(evidence, test.evidence);
  const significant = evidence.untestable || (evidence.p_value !== null && evidence.p_value <= ctx.alpha);
  const moved = delta !== 0 && Math.abs(delta) >= rule.min_delta;

  let status: MetricStatus = 'ok';
  if (moved && badPct >= rule.threshold && significant) {
    judgement.capped = before.values.length < rule.min_samples || after.values.length < rule.min_samples ? 'few_samples' : test.lowVolume ? 'low_volume' : null;
    status = judgement.capped ? 'warning' : 'regression';
  } else if (moved && badPct >= rule.attention && significant) {
    status = 'warning';
  } else if (moved && badPct >= rule.threshold) {
    status = 'warning';
    judgement.uncertain = true;
  } else if (moved && rule.direction !== 'both' && -badPct >= rule.threshold) {
    status = 'improvement';
  }

  if (rule.trend && status !== 'regression') {
    const trend = trendOf(after.values);
    if (trend && baseline !== 0) {
      const projected = trend.slope * (after.values.length - 1);
      const pValue = rule.direction === 'decrease' ? trend.pValueDown : trend.pValueUp;
      evidence.trend = { change_pct: Math.round((projected / Math.abs(baseline)) * 1000) / 10, p_value: roundSig(pValue, 3) };
      // A quarter of the threshold over one window is a steady drift worth a look (a leak, a creep),
      // provided the end of the window really sits that far past the baseline (not a dip recovering).
      const end = median(after.values.slice(-Math.ceil(after.values.length / 3)));
      const band = rule.threshold / 4;
      if (pValue < TREND_ALPHA && badPercent(rule, baseline, projected) >= band && badPercent(rule, baseline, end - baseline) >= band) {
        judgement.trending = true;
        status = 'warning';
      }
    }
  }

  if (skipped && skipped.values.length > 0 && (status === 'ok' || status === 'improvement')) {
    const blipDelta = median(skipped.values) - baseline;
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
  if (rule.volume && rule.direction === 'increase' && before.withVolume.length > 0 && after.withVolume.length > 0) {
    const counts = (pairs: [number, number][]) => ({
      events: pairs.reduce((s, [v, vol]) => s + v * vol * ctx.intervalSeconds, 0),
      requests: pairs.reduce((s, [, vol]) => s + vol * ctx.intervalSeconds, 0),
    });
    const t = rateIncreaseTest(counts(before.withVolume), counts(after.withVolume));
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
  const up = () => rankSumGreater(before.values, after.values);
  const down = () => rankSumGreater(after.values, before.values);
  let r;
  if (rule.direction === 'both') {
    const [a, b] = [up(), down()];
    r = { pValue: Math.min(1, 2 * Math.min(a.pValue, b.pValue)), minPValue: Math.min(1, 2 * a.minPValue) };
  } else {
    r = rule.direction === 'increase' ? up() : down();
  }
  return { evidence: { test: 'rank_sum', p_value: roundSig(r.pValue, 3), untestable: r.minPValue > ctx.alpha }, lowVolume: false };
}

function series(name: string, rule: MetricRule, snapshots: readonly MetricSnapshot[]): Series {
  const out: Series = { values: [], withVolume: [], invalid: 0, present: 0 };
  for (const s of snapshots) {
    if (!(name in s.metrics)) continue;
    out.present++;
    const v = s.metrics[name];
    if (!isMeasurement(v) || (v < 0 && !rule.allow_negative)) {
      out.invalid++;
      continue;
    }
    out.values.push(v);
    const vol = rule.volume ? s.metrics[rule.volume] : undefined;
    if (isMeasurement(vol) && vol >= 0) out.withVolume.push([v, vol]);
  }
  return out;
}
