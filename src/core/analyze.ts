/**
 * The judge: PRE and POST snapshots + rules -> verdict, confidence, summary, details, per-metric
 * results and hints. Pure and deterministic, shared by `run`, `finish`, `analyze` and the Action.
 * The method is written out for SREs in docs/analysis.md.
 */
import { asColumns, trustedColumns, type UntrustedCounter } from './columns.js';
import { compositeHints } from './hints.js';
import { classifyMetric, measureMetric, type JudgeContext, type Measurement, type MetricJudgement } from './judge-metric.js';
import { failuresNeeded, judgeEndpoints, type EndpointFailure, type EndpointJudgement, type OnEndpointFailure } from './outage.js';
import { Scratch } from './scratch.js';
import { clamp, maxOf, minOf } from './stats/basic.js';
import { holmAdjusted } from './stats/holm.js';
import type { Analysis, AnalysisInput, Hint, Verdict } from './types.js';
import { detailFor } from './wording.js';

/** With fewer POST samples than this share of the plan, the evidence is too thin for `ok`. */
const MIN_POST_COVERAGE = 0.5;
export const DEFAULT_ALPHA = 0.05;
/** The attention band's significance level, as a share of alpha (0.05 -> 0.01): a band is crossed by noise more often than a threshold. */
const BAND_ALPHA_SHARE = 0.2;
/** Below this power against a threshold-sized move, the baseline is too noisy (or too short) to judge the metric. */
const UNSTABLE_POWER = 0.5;

/** Endpoints that failed after the deploy, and what the settings make of it. */
interface Outage {
  failing: EndpointFailure[];
  action: OnEndpointFailure;
}

const NO_ENDPOINT_FINDING: EndpointJudgement = { failing: [], unconfirmed: [], worse: [] };

export function analyze(input: AnalysisInput): Analysis {
  const measured = measureAll(input);
  const judged = classifyAll(measured, input.alpha ?? DEFAULT_ALPHA);
  const metrics = judged.map((j) => j.result);
  const endpoints = input.endpoints ? judgeEndpoints(input.endpoints, input.alpha ?? DEFAULT_ALPHA) : NO_ENDPOINT_FINDING;
  const { failing, unconfirmed } = endpoints;
  const outage: Outage | undefined = failing.length > 0 ? { failing, action: input.endpoints?.action ?? 'rollback' } : undefined;

  if (input.post.length === 0 && !outage && unconfirmed.length === 0) {
    // Why nothing came back, where it is known: a rejected signature is not an unreachable endpoint.
    const rejected = input.endpoints?.rejected ?? 0;
    return {
      verdict: null,
      confidence: 0,
      summary: `No verdict: no POST sample could be collected${rejected > 0 ? ' (the endpoints rejected the signed requests after the deploy)' : ''}`,
      details: [
        `0 POST samples collected${input.failed ? ` (${input.failed} failed)` : ''}; ${rejected > 0 ? `${rejected} rejected the signature (HTTP 401/403): check the secret the new version was deployed with (SEQPULSE_HMAC_SECRET on both sides)` : 'check that the endpoints are reachable after the deploy'}`,
        ...endpointLines(endpoints, input.endpoints),
      ],
      metrics,
      hints: [],
    };
  }

  // With no POST sample at all, every metric is missing for the one reason the endpoints already give.
  const hints = input.post.length === 0 ? [] : [...compositeHints(metrics), ...findingHints(input, judged, measured)];
  const lines = input.post.length === 0 ? failedLine(input) : details(input, judged, measured);
  // Every endpoint that failed more after the deploy than before is said, finding or not.
  lines.unshift(...endpointLines(endpoints, input.endpoints));
  if (unconfirmed.length > 0) {
    hints.unshift({ code: 'endpoint_failures_unconfirmed', severity: 'warning', message: `${unconfirmed.map((f) => f.message).join('; ')}: more than half the window, but too few requests to rule out chance. Check the endpoint; more PRE samples or a longer window make the test decisive.` });
  }
  if (outage) hints.unshift({ code: 'endpoint_failing', severity: 'critical', message: `${failing.map((f) => f.message).join('; ')}: the new version stopped answering.` });
  const { verdict, reasons } = decide(input, judged, outage, unconfirmed, measured.unreadable);
  const analysis: Analysis = {
    verdict,
    confidence: confidence(verdict, reasons, judged, [...failing, ...unconfirmed]),
    summary: summarise(verdict, input, judged, reasons, outage, unconfirmed),
    details: lines,
    metrics,
    hints,
  };
  if (outage) analysis.failing_endpoints = failing;
  return analysis;
}

/** Every rule's metric measured (alpha does not enter), with the p-values corrected for the number of metrics judged (Holm). */
export interface Measured {
  measured: Measurement[];
  adjusted: (number | null)[];
  /** Rule metrics the samples reported, never as a number (SPEC §4: stored, never judged), and how often. */
  neverNumbers: { name: string; values: number }[];
  /** Counters that are not one process's (columns.ts, trustedColumns): nothing was read from them. */
  untrusted: UntrustedCounter[];
  /** Rule metrics that had values only from those counters: not judged. */
  unreadable: string[];
}

export function measureAll(input: AnalysisInput): Measured {
  const ctx = contextOf(input);
  const read = { pre: asColumns(input.pre, input.rules, input.intervalMs), post: asColumns(input.post, input.rules, input.intervalMs) };
  const { pre, post, untrusted } = trustedColumns(read.pre, read.post);
  const all = Object.entries(input.rules).map(([name, rule]) => measureMetric(name, rule, pre, post, ctx));
  const measured = all.filter((m) => m.seen);
  const neverNumbers = all.map((m) => ({ name: m.name, values: m.evidence.invalid.pre + m.evidence.invalid.post })).filter((m, i) => !all[i]!.seen && m.values > 0);
  const counters = new Set(untrusted.map((u) => u.counter));
  const unreadable = all.filter((m) => !m.seen && [...read.pre.sourcesOf(m.name), ...read.post.sourcesOf(m.name)].some((c) => counters.has(c))).map((m) => m.name);
  return { measured, adjusted: holmAdjusted(measured.map((m) => m.pValue)), neverNumbers, untrusted, unreadable };
}

/** The measurements classified at one level: the rollback band at alpha, the attention band at a fifth of it. */
export function classifyAll({ measured, adjusted }: Measured, alpha: number): MetricJudgement[] {
  const judged = measured.map((m, i) => {
    const p = adjusted[i] ?? null;
    const j = classifyMetric(m, { regression: p !== null && p <= alpha, band: p !== null && p <= alpha * BAND_ALPHA_SHARE });
    j.adjustedP = p;
    return j;
  });
  explainByTraffic(judged);
  return judged;
}

/** Every rule's metric measured, then classified once the p-values are corrected for the number of metrics judged together (Holm). */
export function judgeAll(input: AnalysisInput): MetricJudgement[] {
  return classifyAll(measureAll(input), input.alpha ?? DEFAULT_ALPHA);
}

/** The metrics a rollback rests on, from the metrics alone (none when they do not make one). */
export function rollbackMetrics(input: AnalysisInput, judged: MetricJudgement[]): string[] {
  const rollback = metricRollback(input, judged);
  return rollback ? rollback.metrics : [];
}

/** Resources that scale with load: a rise no larger than the rise in traffic is the load, not the code. */
const LOAD_SCALED = ['cpu_usage', 'db_connections'];
const TRAFFIC = 'requests_per_sec';

function explainByTraffic(judged: MetricJudgement[]): void {
  const traffic = judged.find((j) => j.result.name === TRAFFIC)?.result;
  if (!traffic || traffic.change_pct === null || traffic.change_pct <= 0) return;
  for (const j of judged) {
    const m = j.result;
    if (!LOAD_SCALED.includes(m.name) || m.status !== 'warning' || j.trending || j.uncertain) continue;
    const change = j.pairwise ? (m.evidence.pairwise?.change_pct ?? null) : j.deployStep ? (m.evidence.deploy_step?.change_pct ?? null) : m.change_pct;
    if (change !== null && change <= traffic.change_pct) {
      m.status = 'ok';
      j.explainedByTraffic = true;
      j.pairwise = false;
      j.deployStep = false;
    }
  }
}

/** POST samples set aside at the start: about a tenth of the window, long enough for a restart, short enough not to hide a step. */
export function settleOf(input: AnalysisInput): number {
  return input.settle ?? (input.post.length >= 5 ? Math.ceil(input.post.length / 10) : 0);
}

export function contextOf(input: AnalysisInput): JudgeContext {
  return {
    healthy: (input.healthy ?? []).map((h) => trustedColumns(asColumns(h.pre, input.rules, input.intervalMs), asColumns(h.post, input.rules, input.intervalMs))),
    settle: settleOf(input),
    // Without an interval (sample files without timestamps), counts are taken per second.
    intervalSeconds: (input.intervalMs ?? 1000) / 1000,
    intervalKnown: input.intervalMs !== undefined,
    adjacent: input.preAdjacent ?? true,
    scratch: input.scratch ?? new Scratch(),
  };
}

/** What raised the verdict, in order of weight (`metrics`: the metric or endpoint names). */
type Reason = { kind: 'endpoint' | 'endpoint_unconfirmed' | 'critical' | 'regressions' | 'regression' | 'capped' | 'band' | 'trend' | 'uncertain' | 'pairwise' | 'deploy_step' | 'drift' | 'gradual' | 'unstable' | 'no_data' | 'no_baseline' | 'counters' | 'coverage' | 'nothing_known'; metrics: string[] };

function metricRollback(input: AnalysisInput, judged: MetricJudgement[]): Reason | undefined {
  const names = (list: MetricJudgement[]) => list.map((j) => j.result.name);
  const rule = (j: MetricJudgement) => input.rules[j.result.name]!;
  const regressions = judged.filter((j) => j.result.status === 'regression');
  const critical = regressions.filter((j) => rule(j).critical);
  const rollbackOnMissing = judged.filter((j) => j.result.status === 'no_data' && rule(j).on_no_data === 'rollback');
  if (critical.length > 0) return { kind: 'critical', metrics: names(critical) };
  if (regressions.length >= 2) return { kind: 'regressions', metrics: names(regressions) };
  if (rollbackOnMissing.length > 0) return { kind: 'no_data', metrics: names(rollbackOnMissing) };
  return undefined;
}

function decide(input: AnalysisInput, judged: MetricJudgement[], outage: Outage | undefined, unconfirmed: EndpointFailure[], unreadable: string[]): { verdict: Verdict | null; reasons: Reason[] } {
  const names = (list: MetricJudgement[]) => list.map((j) => j.result.name);
  const rule = (j: MetricJudgement) => input.rules[j.result.name]!;
  const failing: Reason | undefined = outage && { kind: 'endpoint', metrics: outage.failing.map((f) => f.endpoint) };
  // A broken endpoint is the most direct evidence there is: first, whatever the metrics add.
  if (failing && outage?.action === 'rollback') return { verdict: 'rollback_recommended', reasons: [failing] };
  const rollback = metricRollback(input, judged);
  if (rollback) return { verdict: 'rollback_recommended', reasons: [rollback] };
  // The user chose not to judge a run whose endpoint broke (a rollback the metrics show still stands).
  if (failing && outage?.action === 'no_verdict') return { verdict: null, reasons: [failing] };

  const regressions = judged.filter((j) => j.result.status === 'regression');
  const missing = judged.filter((j) => j.result.status === 'no_data');
  const reasons: Reason[] = failing ? [failing] : [];
  const add = (kind: Reason['kind'], list: MetricJudgement[]) => list.length > 0 && reasons.push({ kind, metrics: names(list) });
  // An endpoint that answered before and failed most of the window after is never ok, even when the test cannot confirm it.
  if (unconfirmed.length > 0) reasons.push({ kind: 'endpoint_unconfirmed', metrics: unconfirmed.map((f) => f.endpoint) });
  add('regression', regressions);
  // Past the threshold and significant, on too few samples or too little traffic to be called a regression.
  add('capped', judged.filter((j) => j.capped !== null));
  add('band', judged.filter((j) => j.result.status === 'warning' && j.capped === null && !j.uncertain && !j.trending && !j.unstable && !j.gradual && !j.pairwise && !j.deployStep));
  add('trend', judged.filter((j) => j.trending));
  // A big move the test cannot confirm, and the baseline's noise does not explain, is never ok.
  add('uncertain', judged.filter((j) => j.uncertain && !j.trendBeforeDeploy));
  // Past the threshold pair by pair, not by the medians: never ok.
  add('pairwise', judged.filter((j) => j.pairwise));
  // Past twice the threshold next to the deploy, not over the window: never ok.
  add('deploy_step', judged.filter((j) => j.deployStep));
  // A real move past the threshold that only continues what PRE was already doing: not ok, not the deploy's to roll back.
  add('drift', judged.filter((j) => j.uncertain && j.trendBeforeDeploy));
  // A significant move that came on through the window with no step at the deploy, where the rule says so (traffic): not the deploy's to roll back.
  add('gradual', judged.filter((j) => j.gradual));
  // A baseline that varied more than the threshold cannot say a move is fine: not judged, not guessed.
  add('unstable', judged.filter((j) => j.unstable));
  // Missing or unreadable data never yields a silent ok.
  add('no_data', missing.filter((j) => rule(j).on_no_data === 'attention'));
  add('no_baseline', judged.filter((j) => j.result.status === 'no_baseline'));
  // Reported, but only through counters that are not one process's: not judged, never a silent ok.
  if (unreadable.length > 0) reasons.push({ kind: 'counters', metrics: unreadable });
  if (input.pre.length === 0 && !reasons.some((r) => r.kind === 'no_baseline')) reasons.push({ kind: 'no_baseline', metrics: [] });
  if (judged.length === 0 && unreadable.length === 0) reasons.push({ kind: 'nothing_known', metrics: [] });
  if (postCoverage(input) < MIN_POST_COVERAGE) reasons.push({ kind: 'coverage', metrics: [] });
  return { verdict: reasons.length > 0 ? 'attention' : 'ok', reasons };
}

function summarise(verdict: Verdict | null, input: AnalysisInput, judged: MetricJudgement[], reasons: Reason[], outage: Outage | undefined, unconfirmed: EndpointFailure[]): string {
  const [first] = reasons;
  const list = (r: Reason | undefined) => r?.metrics.join(', ') ?? '';
  const broken = outage?.failing.map((f) => f.message).join('; ') ?? '';
  const regressed = judged.filter((j) => j.result.status === 'regression').map((j) => j.result.name);
  if (verdict === null) return `No verdict: ${broken} (on_endpoint_failure: no_verdict)`;
  if (verdict === 'rollback_recommended') {
    if (first?.kind === 'endpoint') {
      return `Endpoint${outage!.failing.length > 1 ? 's' : ''} failing after the deploy: ${broken}${regressed.length > 0 ? ` (also regressed: ${regressed.join(', ')})` : ''}`;
    }
    if (first?.kind === 'critical') {
      const others = judged.filter((j) => j.result.status === 'regression' && !first.metrics.includes(j.result.name)).map((j) => j.result.name);
      if (first.metrics.length >= 2) return 'Multiple critical regressions detected';
      return `Critical regression detected: ${list(first)}${others.length > 0 ? ` (also regressed: ${others.join(', ')})` : ''}`;
    }
    if (first?.kind === 'regressions') return `Multiple regressions detected: ${list(first)}`;
    return `No data after the deploy for ${list(first)}, which the rules treat as a rollback`;
  }
  if (verdict === 'attention') {
    switch (first?.kind) {
      case 'endpoint':
        return `Needs attention: ${broken}`;
      case 'endpoint_unconfirmed':
        return `Needs attention: ${unconfirmed.map((f) => f.message).join('; ')} (too few requests to confirm it is the deploy)`;
      case 'regression':
        return `Regression detected: ${list(first)}`;
      case 'capped': {
        const lowVolume = judged.some((j) => first.metrics.includes(j.result.name) && j.capped === 'low_volume');
        return `Needs attention: ${list(first)} moved past the threshold, on ${lowVolume ? 'too little traffic' : 'too few samples'} to call it a regression`;
      }
      case 'band':
        return `Needs attention: ${list(first)} moved into the attention band`;
      case 'trend':
        return `Needs attention: ${list(first)} kept rising through the window`;
      case 'uncertain':
        return `Needs attention: ${list(first)} moved past the threshold, but too noisily to be sure`;
      case 'pairwise':
        return `Needs attention: ${list(first)} moved past the threshold sample for sample, though not by its median`;
      case 'deploy_step':
        return `Needs attention: ${list(first)} stepped past twice the threshold right after the deploy, though not over the window`;
      case 'drift':
        return `Needs attention: ${list(first)} moved past the threshold, but was already moving that way before the deploy`;
      case 'gradual':
        return `Needs attention: ${list(first)} moved past the threshold, but gradually through the window, with no step at the deploy`;
      case 'unstable':
        return `Needs attention: the baseline of ${list(first)} is too unstable to judge (PRE varied by more than the threshold)`;
      case 'no_data':
        return `Needs attention: missing data for ${list(first)}`;
      case 'no_baseline':
        return input.pre.length === 0 ? 'Needs attention: no baseline could be collected before the deploy' : `Needs attention: no baseline for ${list(first)}`;
      case 'counters':
        return `Needs attention: ${list(first)} could not be read (${first.metrics.length === 1 ? 'its' : 'their'} counters are not one process's)`;
      case 'nothing_known':
        return 'Needs attention: none of the known metrics was reported';
      default:
        return 'Needs attention: too many samples failed to judge with confidence';
    }
  }
  const warnings = judged.filter((j) => j.result.status === 'warning').map((j) => j.result.name);
  return warnings.length > 0 ? `No significant regression detected (${warnings.join(', ')} moved, not significantly)` : 'No significant regression detected';
}

function details(input: AnalysisInput, judged: MetricJudgement[], { neverNumbers, untrusted, unreadable }: Measured): string[] {
  const order: Record<string, number> = { regression: 0, no_data: 1, no_baseline: 2, warning: 3, improvement: 4, ok: 5 };
  const lines = [...judged]
    .sort((a, b) => (order[a.result.status] ?? 9) - (order[b.result.status] ?? 9))
    .map((j) => detailFor(j.result, j))
    .filter((d): d is string => d !== undefined);
  for (const j of judged) {
    const invalid = j.result.evidence.invalid.pre + j.result.evidence.invalid.post;
    if (invalid > 0) lines.push(`${j.result.name}: ${invalid} invalid value${invalid === 1 ? '' : 's'} ignored (not a number, or negative)`);
  }
  for (const m of neverNumbers) lines.push(`${m.name}: reported ${m.values} time${m.values === 1 ? '' : 's'}, never as a number (or only negative): not judged`);
  for (const u of untrusted) lines.push(`${u.counter}: went down and back up ${u.bounces.pre} time${u.bounces.pre === 1 ? '' : 's'} before the deploy and ${u.bounces.post} after: not one process's counter, nothing read from it`);
  for (const name of unreadable) lines.push(`${name}: reported only through those counters: not judged`);
  lines.push(...failedLine(input));
  if (judged.length === 0 && unreadable.length === 0) lines.push('None of the known metrics was reported by the endpoints');
  return lines;
}

/** A line per endpoint that failed more of its POST requests than of its PRE ones: the finding, the unconfirmed, and the rest. */
function endpointLines({ failing, unconfirmed, worse }: EndpointJudgement, input: AnalysisInput['endpoints']): string[] {
  const needed = input ? failuresNeeded(input.planned, input.settle) : 0;
  return [
    ...failing.map((f) => `${f.message}; failure test p=${f.p_value}`),
    ...unconfirmed.map((f) => `${f.message}; more than half the settled window, but not significant (failure test p=${f.p_value}): attention`),
    ...worse.map((f) => `${f.message}; fewer than the ${needed} failures after the settle period that make a finding, so not counted against the deploy`),
  ];
}

function failedLine(input: AnalysisInput): string[] {
  return input.failed ? [`${input.failed} sample${input.failed === 1 ? '' : 's'} failed (no endpoint answered)`] : [];
}

function findingHints(input: AnalysisInput, judged: MetricJudgement[], { neverNumbers, untrusted, unreadable }: Measured): Hint[] {
  const hints: Hint[] = [];
  const named = (pred: (j: MetricJudgement) => boolean) => judged.filter(pred).map((j) => j.result.name);
  if (input.pre.length === 0) {
    hints.push({ code: 'no_baseline', severity: 'warning', message: 'No PRE sample could be collected, so nothing can be compared; the verdict cannot be ok.' });
  }
  // Counters that disagree are reported, just not readable: said as such, not as a metric gone.
  const disagreeing = judged.filter((j) => j.result.status === 'no_data' && j.measurement.counterDisagreements !== undefined);
  for (const j of disagreeing) {
    const { events, requests } = j.measurement.rule.counters ?? { events: 'the event counter', requests: 'the request counter' };
    hints.push({ code: 'counters_disagree', severity: 'warning', message: `${j.result.name}: ${events} grew more than ${requests} in ${j.measurement.counterDisagreements} POST sample${j.measurement.counterDisagreements === 1 ? '' : 's'}, so no share could be read from them. Check that the app counts both for the same requests (every failed request also counted as a request).` });
  }
  if (untrusted.length > 0) {
    const counters = untrusted.map((u) => u.counter).join(', ');
    const lost = unreadable.length > 0 ? ` ${unreadable.join(', ')} ${unreadable.length === 1 ? 'was' : 'were'} reported no other way and ${unreadable.length === 1 ? 'is' : 'are'} not judged.` : ' The shares and rates the samples reported themselves were judged, their counts estimated.';
    hints.push({ code: 'counters_not_monotonic', severity: 'warning', message: `${counters} went down and back up between samples: not one process's counter${untrusted.length === 1 ? '' : 's'}, so nothing was read from ${untrusted.length === 1 ? 'it' : 'them'}.${lost} An endpoint in front of several instances answers from a different one each time: give each instance its own --endpoint, or report the rates.` });
  }
  const missing = named((j) => j.result.status === 'no_data' && j.measurement.counterDisagreements === undefined);
  if (missing.length > 0) {
    hints.push({ code: 'metrics_missing_after_deploy', severity: 'warning', message: `Reported before the deploy but not after: ${missing.join(', ')}. The new version may have stopped exporting them.` });
  }
  const leaking = named((j) => j.trending && j.result.name.startsWith('memory'));
  if (leaking.length > 0) {
    hints.push({ code: 'memory_leak_suspected', severity: 'warning', message: `${leaking.join(', ')} rose steadily through the window without levelling off: a leak suspect, even though the change is still under the threshold.` });
  }
  const creeping = named((j) => j.trending && !j.result.name.startsWith('memory'));
  if (creeping.length > 0) {
    hints.push({ code: 'steady_creep', severity: 'warning', message: `${creeping.join(', ')} kept moving the wrong way through the window: it may cross the threshold after the window ends.` });
  }
  const explained = named((j) => j.explainedByTraffic === true);
  if (explained.length > 0) {
    hints.push({ code: 'load_follows_traffic', severity: 'info', message: `${explained.join(', ')} rose no more than traffic did: more load, not a costlier version.` });
  }
  const blips = named((j) => j.blip);
  if (blips.length > 0) {
    hints.push({ code: 'transient_blip_recovered', severity: 'info', message: `${blips.join(', ')} spiked right after the deploy and recovered (a restart or warm-up); the settle period kept it out of the verdict.` });
  }
  const low = named((j) => j.capped === 'low_volume');
  if (low.length > 0) {
    hints.push({ code: 'low_traffic', severity: 'info', message: `Too few requests to call ${low.join(', ')} a regression on counts this small; at most attention.` });
  }
  const few = named((j) => j.capped === 'few_samples' || j.result.evidence.untestable);
  if (few.length > 0) {
    hints.push({ code: 'too_few_samples', severity: 'info', message: `Too few samples to test ${few.join(', ')} for significance; judged on thresholds alone, with lower confidence.` });
  }
  // What the samples could not have seen: a regression they did find needs no such caveat.
  const unstable = named((j) => j.result.status !== 'regression' && (j.measurement.unstable || (!j.measurement.missing && !j.result.evidence.untestable && j.measurement.power < UNSTABLE_POWER)));
  if (unstable.length > 0) {
    hints.push({
      code: 'baseline_unstable',
      severity: 'warning',
      message: `The baseline is too noisy or too short to judge ${unstable.join(', ')} at the threshold: a regression of that size could go unseen. More PRE samples (pre_samples), a PRE range from Prometheus (pre_range) or the history of earlier runs would make it judgeable.`,
    });
  }
  const noise = named((j) => j.withinNoise);
  if (noise.length > 0) {
    hints.push({ code: 'moved_within_noise', severity: 'info', message: `${noise.join(', ')} moved past the threshold, but no further than the baseline's own variability: not counted as a regression.` });
  }
  const before = named((j) => j.trendBeforeDeploy);
  if (before.length > 0) {
    hints.push({ code: 'trend_before_deploy', severity: 'info', message: `${before.join(', ')} was already moving the same way before the deploy: the trend is not the deploy's.` });
  }
  const gradual = named((j) => j.gradual);
  if (gradual.length > 0) {
    hints.push({ code: 'gradual_move', severity: 'info', message: `${gradual.join(', ')} moved past the threshold gradually through the window, with no step at the deploy: for traffic, usually its users (the day's cycle), which a deploy does not set; attention, not a rollback (rule key gradual).` });
  }
  if (neverNumbers.length > 0 || judged.some((j) => j.result.evidence.invalid.pre + j.result.evidence.invalid.post > 0)) {
    const never = neverNumbers.length > 0 ? ` ${neverNumbers.map((m) => m.name).join(', ')} never had a number, so ${neverNumbers.length === 1 ? 'it was' : 'they were'} not judged at all: report ${neverNumbers.length === 1 ? 'it' : 'them'} as JSON numbers (finite: 1e999 reads as infinity).` : '';
    hints.push({ code: 'invalid_values', severity: neverNumbers.length > 0 ? 'warning' : 'info', message: `Some known metrics had values that are not finite numbers (strings, null, 1e999) or are negative; they were stored but not judged.${never}` });
  }
  return hints;
}

/**
 * Confidence in [0, 1] is the strength of the evidence behind the verdict, not how complete the
 * data was (docs/analysis.md):
 * - rollback_recommended: 1 - the corrected p-value of the weakest regression (or failing endpoint) the rollback rests on;
 * - attention: 1 - the corrected p-value of the strongest tested finding (a regression, a band, a
 *   trend, a large unconfirmed move); 0 when it rests on missing data alone (nothing was compared);
 * - a finding on fewer samples than its rule's min_samples counts for that share of its strength
 *   (one POST sample of three: a third): a p-value from a sample or two is no certainty (SPEC 6:
 *   confidence falls when samples are few);
 * - ok: the smallest power, over the judged metrics, to find a threshold-sized regression: how
 *   surely a real one would have been seen with these samples and this much noise.
 * It is rounded to two decimals.
 */
function confidence(verdict: Verdict | null, reasons: Reason[], judged: MetricJudgement[], failing: EndpointFailure[]): number {
  if (verdict === null) return 0;
  const byName = new Map(judged.map((j) => [j.result.name, j]));
  const failures = new Map(failing.map((f) => [f.endpoint, f.p_value]));
  const strength = (name: string) => {
    const failure = failures.get(name);
    if (failure !== undefined) return 1 - failure;
    const j = byName.get(name);
    const p = j?.trending ? j.measurement.trend?.pValue : j?.adjustedP;
    if (p === null || p === undefined) return 0;
    const { pre, post } = j!.measurement.samples;
    const needed = Math.max(1, j!.measurement.rule.min_samples);
    return (1 - p) * Math.min(1, pre / needed, post / needed);
  };
  let c: number;
  if (verdict === 'rollback_recommended') {
    c = reasons[0]?.kind === 'no_data' ? 0.5 : minOf(reasons[0]!.metrics.map(strength));
  } else if (verdict === 'attention') {
    const tested = reasons.filter((r) => ['endpoint', 'endpoint_unconfirmed', 'regression', 'capped', 'band', 'trend', 'uncertain', 'pairwise', 'deploy_step', 'drift', 'gradual'].includes(r.kind)).flatMap((r) => r.metrics);
    c = tested.length > 0 ? maxOf(tested.map(strength)) : 0;
  } else {
    c = judged.length > 0 ? minOf(judged.map((j) => (j.result.evidence.untestable ? 0 : j.measurement.power))) : 0;
  }
  return Math.round(clamp(c, 0, 1) * 100) / 100;
}

function postCoverage(input: AnalysisInput): number {
  return input.expected?.post ? clamp(input.post.length / input.expected.post, 0, 1) : 1;
}
