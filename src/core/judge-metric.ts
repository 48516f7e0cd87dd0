/**
 * One metric, PRE against POST: robust centres (medians), relative change, and the rule's
 * threshold, direction and absolute floor. Pure.
 */
import { isMeasurement, median, roundSig } from './stats.js';
import type { MetricResult, MetricRule, MetricSnapshot, MetricStatus } from './types.js';

/** Below this share of the threshold a bad move is plain noise; between it and the threshold it is a warning. */
export const WARNING_SHARE = 0.5;

export interface MetricJudgement {
  result: MetricResult;
  /** Values that were present but could not be judged (strings, null, NaN text), per phase. */
  odd: { pre: number; post: number };
  /** Whether the metric appeared at all, in either phase. */
  seen: boolean;
}

export function judgeMetric(name: string, rule: MetricRule, pre: readonly MetricSnapshot[], post: readonly MetricSnapshot[]): MetricJudgement {
  const before = values(name, pre);
  const after = values(name, post);
  const base = {
    name,
    threshold_pct: rule.threshold,
    direction: rule.direction,
    samples: { pre: before.numbers.length, post: after.numbers.length },
  };
  const odd = { pre: before.odd, post: after.odd };
  const seen = before.present + after.present > 0;

  if (after.numbers.length === 0 || before.numbers.length === 0) {
    const status: MetricStatus = after.numbers.length === 0 ? 'no_data' : 'no_baseline';
    const baseline = before.numbers.length > 0 ? roundSig(median(before.numbers)) : null;
    const current = after.numbers.length > 0 ? roundSig(median(after.numbers)) : null;
    return { result: { ...base, baseline, current, change_pct: null, status }, odd, seen };
  }

  const baseline = median(before.numbers);
  const current = median(after.numbers);
  const delta = current - baseline;
  const changePct = baseline !== 0 ? (delta / Math.abs(baseline)) * 100 : delta === 0 ? 0 : null;
  const status = classify(rule, baseline, delta, changePct);
  return {
    result: {
      ...base,
      baseline: roundSig(baseline),
      current: roundSig(current),
      change_pct: changePct === null ? null : Math.round(changePct * 10) / 10,
      status,
    },
    odd,
    seen,
  };
}

function classify(rule: MetricRule, baseline: number, delta: number, changePct: number | null): MetricStatus {
  const bad = rule.direction === 'increase' ? delta : rule.direction === 'decrease' ? -delta : Math.abs(delta);
  const good = rule.direction === 'both' ? 0 : -bad;
  if (Math.abs(delta) < rule.min_delta || delta === 0) return 'ok';
  if (changePct === null) {
    // From a zero baseline there is no relative change: only an absolute floor can call it a regression.
    if (bad <= 0) return 'ok';
    return rule.min_delta > 0 ? 'regression' : 'warning';
  }
  const badPct = (bad / Math.abs(baseline)) * 100;
  if (badPct >= rule.threshold) return 'regression';
  if (badPct >= rule.threshold * WARNING_SHARE) return 'warning';
  if ((good / Math.abs(baseline)) * 100 >= rule.threshold) return 'improvement';
  return 'ok';
}

function values(name: string, snapshots: readonly MetricSnapshot[]): { numbers: number[]; odd: number; present: number } {
  const numbers: number[] = [];
  let odd = 0;
  let present = 0;
  for (const s of snapshots) {
    if (!(name in s.metrics)) continue;
    present++;
    const v = s.metrics[name];
    if (isMeasurement(v)) numbers.push(v);
    else odd++;
  }
  return { numbers, odd, present };
}
