/** The words of a verdict: `details` lines in the SPEC §6 wording, with the evidence behind them. Pure. */
import type { Direction, Evidence, MetricResult, Verdict } from './types.js';
import { roundSig } from './stats/basic.js';

export function formatNumber(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e6 || abs < 1e-4) return value.toExponential(2);
  return String(Number(value.toPrecision(4)));
}

/** A signed change, one style everywhere: `+120%`, `-40%` (ASCII minus), `+12.5%` (one decimal where needed). */
export function formatPct(pct: number): string {
  const shown = Number(pct.toFixed(1));
  return `${shown > 0 ? '+' : ''}${Object.is(shown, -0) ? 0 : shown}%`;
}

/** A rule's threshold in its bad direction: `+30%`, `-40%`, `±30%`. */
export function formatThreshold(direction: Direction, pct: number): string {
  const size = `${Number(pct.toFixed(1))}%`;
  return direction === 'decrease' ? `-${size}` : direction === 'both' ? `±${size}` : `+${size}`;
}

/** Confidence as every output shows it: two decimals (`0.85`), the number the JSON carries. */
export function formatConfidence(confidence: number): string {
  return confidence.toFixed(2);
}

/**
 * A window that ended before its plan: "decided early" only for the rollback that ended it; a
 * verdict judged again on those samples (`analyze <id>`, another config) says what it rests on.
 */
export function earlyExitNote(verdict: Verdict | null, early: { after_samples: number; planned_samples: number }): string {
  return verdict === 'rollback_recommended'
    ? `decided early, after ${early.after_samples} of ${early.planned_samples} POST samples`
    : `on the ${early.after_samples} of ${early.planned_samples} POST samples taken before the window was ended early`;
}

/**
 * How the deploy command ended, after "deploy success/failed": its exit code, or the signal that
 * killed it (the OOM killer's SIGKILL has no exit code). A signal name that is not one (a shared
 * store another tool wrote) is not shown as it is.
 */
export function deployEnding(run: { deploy_exit_code: number | null; deploy_signal?: string | null }): string {
  if (run.deploy_exit_code !== null) return `exit ${run.deploy_exit_code}`;
  if (!run.deploy_signal) return '';
  return /^SIG[A-Z0-9]{1,10}$/.test(run.deploy_signal) ? `killed by ${run.deploy_signal}` : 'killed by a signal';
}

/** One line per metric worth mentioning: what moved, then why it counts (or does not). */
export function detailFor(m: MetricResult, flags: { uncertain?: boolean; trending?: boolean; trendBeforeDeploy?: boolean; capped?: string | null; withinNoise?: boolean; gradual?: boolean; pairwise?: boolean; deployStep?: boolean } = {}): string | undefined {
  switch (m.status) {
    case 'no_data':
      return `${m.name}: no data after the deploy (${m.samples.pre} sample${m.samples.pre === 1 ? '' : 's'} before)`;
    case 'no_baseline':
      // A share of requests from a PRE that served none: 0 / 0, whatever the app reported.
      return m.evidence.counts?.pre_requests === 0
        ? `${m.name}: no requests before the deploy, so no baseline for their share (current: ${formatNumber(m.current ?? 0)}, ${m.evidence.counts.post_events} in ${m.evidence.counts.post_requests} requests after${m.evidence.counts.estimated ? ', estimated' : ''})`
        : `${m.name}: no baseline before the deploy (current: ${formatNumber(m.current ?? 0)})`;
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
      : flags.uncertain && flags.trendBeforeDeploy && m.evidence.drift?.last_samples
      ? `past the threshold, but its last ${m.evidence.drift.last_samples} samples before the deploy had already moved that way (p=${m.evidence.drift.pre_trend_p}) with no step at the deploy beyond that level (step p=${m.evidence.drift.step_p}); ${evidence(m.evidence)}`
      : flags.uncertain && flags.trendBeforeDeploy && m.evidence.drift
      ? `past the threshold, but it was already moving that way before the deploy (trend p=${m.evidence.drift.pre_trend_p}) with no step at the deploy beyond that drift (step p=${m.evidence.drift.step_p}); ${evidence(m.evidence)}`
      : flags.gradual && m.evidence.gradual
      ? `past the threshold, but gradually: ${formatPct(m.evidence.gradual.step_change_pct)} at the deploy on the window's trend line (trend p=${m.evidence.gradual.trend_p}), so not the deploy's step; ${evidence(m.evidence)}`
      : flags.pairwise && m.evidence.pairwise
      ? `sample for sample it moved ${formatPct(m.evidence.pairwise.change_pct)} (the median of every PRE-to-POST pair's move), past the threshold: the samples are too spread or clustered for their medians to tell (${evidence(m.evidence)})`
      : flags.deployStep && m.evidence.deploy_step
      ? `right after the deploy it stepped ${formatPct(m.evidence.deploy_step.change_pct)} (its first ${m.evidence.deploy_step.samples} samples after the settle period against PRE's last ${m.evidence.deploy_step.samples}, shift test p=${m.evidence.deploy_step.p_value}), past twice the threshold, though the window as a whole did not show it: a step the rest of the window hid, or a warm-up that outlasted the settle period (${evidence(m.evidence)})`
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
  const settling = e.settle_skipped > 0 ? `, first ${e.settle_skipped === 1 ? 'POST sample' : `${e.settle_skipped} POST samples`} settling` : '';
  // A rate the app did not report says where it came from.
  const untimed = e.untimed_interval_s === undefined ? '' : ` (samples without timestamps taken as ${roundSig(e.untimed_interval_s, 3)} s apart)`;
  const settle = `${settling}${e.from_counter ? `, read from ${e.from_counter}${untimed}` : ''}`;
  if (e.test === 'rate' && e.counts) {
    const c = e.counts;
    const spread = c.overdispersion > 1 ? `, spread ${c.overdispersion}x the binomial's` : '';
    return c.estimated
      ? `rate test p=${e.p_value}: about ${c.pre_events} errors in ${c.pre_requests} requests before, ${c.post_events} in ${c.post_requests} after (estimated from the rate and the request rate${spread})${settle}`
      : `rate test p=${e.p_value}: ${c.pre_events} errors in ${c.pre_requests} requests before, ${c.post_events} in ${c.post_requests} after (counted${spread})${settle}`;
  }
  if (e.untestable) return `too few samples for a significance test; judged on the threshold alone${settle}`;
  // The counts bound the p-value: the shift test of their samples read more into them than they hold.
  if (e.counted && e.p_value !== null && e.counted.p_value >= e.p_value) {
    return `exact count test p=${e.p_value} on ${e.counted.pre} counted before the deploy and ${e.counted.post} after, as sure as these counts allow${settle}`;
  }
  return `shift test p=${e.p_value}${settle}`;
}
