/** The words of a verdict: `details` lines in the SPEC §6 wording, with the evidence behind them. Pure. */
import type { Evidence, MetricResult } from './types.js';

export function formatNumber(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e6 || abs < 1e-4) return value.toExponential(2);
  return String(Number(value.toPrecision(4)));
}

export function formatPct(pct: number): string {
  return `${pct > 0 ? '+' : ''}${Number(pct.toFixed(1))}%`;
}

/** One line per metric worth mentioning: what moved, then why it counts (or does not). */
export function detailFor(m: MetricResult, flags: { uncertain?: boolean; trending?: boolean; capped?: string | null; withinNoise?: boolean } = {}): string | undefined {
  switch (m.status) {
    case 'no_data':
      return `${m.name}: no data after the deploy (${m.samples.pre} samples before)`;
    case 'no_baseline':
      return `${m.name}: no baseline before the deploy (current: ${formatNumber(m.current ?? 0)})`;
    case 'ok':
      if (!flags.withinNoise) return undefined;
  }
  const what =
    m.change_pct === null
      ? `${m.name} rose from 0 to ${formatNumber(m.current ?? 0)} (no relative change from a zero baseline)`
      : `${m.name} changed by ${formatPct(m.change_pct)} (baseline: ${formatNumber(m.baseline ?? 0)}, current: ${formatNumber(m.current ?? 0)})`;
  const why = flags.trending
    ? `rising steadily: ${formatPct(m.evidence.trend?.change_pct ?? 0)} over the window (trend p=${m.evidence.trend?.p_value})`
    : flags.withinNoise
      ? `past the threshold, but within the baseline's own variability (${evidence(m.evidence)})`
      : flags.uncertain
      ? `past the threshold but not confirmed: too few or too noisy samples to be sure (${evidence(m.evidence)})`
      : flags.capped === 'low_volume'
        ? `too little traffic to call it a regression (${evidence(m.evidence)})`
        : flags.capped === 'few_samples'
          ? `too few samples to call it a regression (${evidence(m.evidence)})`
          : m.status === 'improvement'
            ? 'improved'
            : m.status === 'warning'
              ? `in the attention band (${evidence(m.evidence)})`
              : evidence(m.evidence);
  return `${what}; ${why}`;
}

/** "shift test p=0.003, first 3 POST samples settling" — the test, its p-value and what it used. */
export function evidence(e: Evidence): string {
  const settle = e.settle_skipped > 0 ? `, first ${e.settle_skipped === 1 ? 'POST sample' : `${e.settle_skipped} POST samples`} settling` : '';
  if (e.test === 'rate' && e.counts) {
    const c = e.counts;
    const spread = c.overdispersion > 1 ? `, spread ${c.overdispersion}x the binomial's` : '';
    return c.estimated
      ? `rate test p=${e.p_value}: about ${c.pre_events} errors in ${c.pre_requests} requests before, ${c.post_events} in ${c.post_requests} after (estimated from the rate and the request rate${spread})${settle}`
      : `rate test p=${e.p_value}: ${c.pre_events} errors in ${c.pre_requests} requests before, ${c.post_events} in ${c.post_requests} after (counted${spread})${settle}`;
  }
  if (e.untestable) return `too few samples for a significance test; judged on the threshold alone${settle}`;
  return `shift test p=${e.p_value}${settle}`;
}
