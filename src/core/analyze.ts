/**
 * The judge: PRE and POST snapshots + rules -> verdict, confidence, summary, details, per-metric
 * results and hints. Pure and deterministic, shared by `run`, `finish`, `analyze` and the Action.
 */
import { compositeHints } from './hints.js';
import { judgeMetric, type MetricJudgement } from './judge-metric.js';
import { clamp } from './stats.js';
import type { Analysis, AnalysisInput, Hint, MetricResult, Verdict } from './types.js';
import { detailFor } from './wording.js';

/** With fewer POST samples than this share of the plan, the evidence is too thin for `ok`. */
const MIN_POST_COVERAGE = 0.5;

export function analyze(input: AnalysisInput): Analysis {
  const judged = Object.entries(input.rules)
    .map(([name, rule]) => judgeMetric(name, rule, input.pre, input.post))
    .filter((j) => j.seen);
  const metrics = judged.map((j) => j.result);

  if (input.post.length === 0) {
    return {
      verdict: null,
      confidence: 0,
      summary: 'No verdict: no POST sample could be collected',
      details: [`0 POST samples collected${input.failed ? ` (${input.failed} failed)` : ''}; check that the endpoints are reachable after the deploy`],
      metrics,
      hints: [],
    };
  }

  const hints = [...compositeHints(metrics), ...dataHints(input, judged)];
  const verdict = decide(input, metrics, judged);
  return {
    verdict,
    confidence: confidence(input, metrics, judged),
    summary: summarise(verdict, input, metrics),
    details: details(input, metrics, judged),
    metrics,
    hints,
  };
}

function decide(input: AnalysisInput, metrics: MetricResult[], judged: MetricJudgement[]): Verdict {
  const regressions = metrics.filter((m) => m.status === 'regression');
  const critical = regressions.filter((m) => input.rules[m.name]?.critical);
  if (critical.length > 0 || regressions.length >= 2) return 'rollback_recommended';
  if (regressions.length === 1) return 'attention';
  // Missing or unreadable data never yields a silent ok.
  if (metrics.some((m) => m.status === 'no_data' || m.status === 'no_baseline')) return 'attention';
  if (judged.length === 0 || input.pre.length === 0) return 'attention';
  if (postCoverage(input) < MIN_POST_COVERAGE) return 'attention';
  return 'ok';
}

function summarise(verdict: Verdict, input: AnalysisInput, metrics: MetricResult[]): string {
  const regressions = metrics.filter((m) => m.status === 'regression');
  const critical = regressions.filter((m) => input.rules[m.name]?.critical);
  const names = (list: MetricResult[]) => list.map((m) => m.name).join(', ');
  if (verdict === 'rollback_recommended') {
    if (critical.length >= 2) return 'Multiple critical regressions detected';
    const others = regressions.filter((m) => !critical.includes(m));
    if (critical.length === 1) return `Critical regression detected: ${names(critical)}${others.length > 0 ? ` (also regressed: ${names(others)})` : ''}`;
    return `Multiple regressions detected: ${names(regressions)}`;
  }
  if (verdict === 'attention') {
    if (regressions.length === 1) return `Regression detected: ${names(regressions)}`;
    if (input.pre.length === 0) return 'Needs attention: no baseline could be collected before the deploy';
    const missing = metrics.filter((m) => m.status === 'no_data' || m.status === 'no_baseline');
    if (missing.length > 0) return `Needs attention: missing data for ${names(missing)}`;
    if (metrics.length === 0) return 'Needs attention: none of the known metrics was reported';
    return 'Needs attention: too many samples failed to judge with confidence';
  }
  const warnings = metrics.filter((m) => m.status === 'warning');
  return warnings.length > 0
    ? `No significant regression detected (${names(warnings)} close to the threshold)`
    : 'No significant regression detected';
}

function details(input: AnalysisInput, metrics: MetricResult[], judged: MetricJudgement[]): string[] {
  const order: Record<string, number> = { regression: 0, no_data: 1, no_baseline: 2, warning: 3, improvement: 4, ok: 5 };
  const lines = [...metrics]
    .sort((a, b) => (order[a.status] ?? 9) - (order[b.status] ?? 9))
    .map(detailFor)
    .filter((d): d is string => d !== undefined);
  for (const j of judged) {
    const odd = j.odd.pre + j.odd.post;
    if (odd > 0) lines.push(`${j.result.name}: ${odd} non-numeric value${odd === 1 ? '' : 's'} ignored`);
  }
  if (input.failed) lines.push(`${input.failed} sample${input.failed === 1 ? '' : 's'} failed (no endpoint answered)`);
  if (metrics.length === 0) lines.push('None of the known metrics was reported by the endpoints');
  return lines;
}

function dataHints(input: AnalysisInput, judged: MetricJudgement[]): Hint[] {
  const hints: Hint[] = [];
  if (input.pre.length === 0) {
    hints.push({ code: 'no_baseline', severity: 'warning', message: 'No PRE sample could be collected, so nothing can be compared; the verdict cannot be ok.' });
  }
  const missing = judged.filter((j) => j.result.status === 'no_data').map((j) => j.result.name);
  if (missing.length > 0) {
    hints.push({ code: 'metrics_missing_after_deploy', severity: 'warning', message: `Reported before the deploy but not after: ${missing.join(', ')}. The new version may have stopped exporting them.` });
  }
  if (judged.some((j) => j.odd.pre + j.odd.post > 0)) {
    hints.push({ code: 'non_numeric_values', severity: 'info', message: 'Some known metrics had non-numeric values (strings, null); they were stored but not judged.' });
  }
  return hints;
}

/**
 * Confidence in [0, 1]: starts at 1 and falls with missing samples (against the plan), few
 * samples, metrics without data on one side, and unreadable values. Documented in README.
 */
function confidence(input: AnalysisInput, metrics: MetricResult[], judged: MetricJudgement[]): number {
  let c = 1;
  c *= 0.4 + 0.6 * postCoverage(input);
  c *= input.pre.length === 0 ? 0.5 : 0.7 + 0.3 * preCoverage(input);
  if (input.post.length < 3) c *= 0.7;
  if (input.pre.length > 0 && input.pre.length < 3) c *= 0.85;
  for (const m of metrics) if (m.status === 'no_data' || m.status === 'no_baseline') c *= 0.85;
  if (judged.some((j) => j.odd.pre + j.odd.post > 0)) c *= 0.95;
  if (metrics.length === 0) c *= 0.5;
  return Math.round(clamp(c, 0, 1) * 100) / 100;
}

function postCoverage(input: AnalysisInput): number {
  return input.expected?.post ? clamp(input.post.length / input.expected.post, 0, 1) : 1;
}

function preCoverage(input: AnalysisInput): number {
  return input.expected?.pre ? clamp(input.pre.length / input.expected.pre, 0, 1) : 1;
}
