/**
 * Early decision during the POST window: stop with rollback_recommended as soon as a regression is
 * decisive, so an outage is flagged in seconds rather than at the end of a 15-minute window.
 * `ok` always waits for the full window. Pure.
 *
 * Decisive means all of: the judge, run at a much stricter significance level (EARLY_ALPHA, which
 * keeps the chance of a false early stop low across the many looks of a window), finds a rollback
 * made of tested regressions (a critical one, or two); and each of those metrics was past its
 * threshold in every one of the last `persist` POST samples (the step persists; it is not a blip).
 */
import { analyze, contextOf } from './analyze.js';
import { badPercent } from './judge-metric.js';
import { asColumns, NUMBER, type PhaseColumns } from './columns.js';
import { median } from './stats/basic.js';
import type { AnalysisInput, Rules } from './types.js';

export const EARLY_ALPHA = 0.001;
export const DEFAULT_PERSIST = 3;

export function decisiveRegression(input: AnalysisInput, persist: number = DEFAULT_PERSIST): string[] | undefined {
  const { settle } = contextOf(input);
  if (input.pre.length === 0 || input.post.length < settle + persist) return undefined;
  const post = asColumns(input.post, input.rules);
  const pre = asColumns(input.pre, input.rules);
  // The full judge runs only when the recent samples could make a decision: most ticks of a long
  // healthy window stop here, so judging after every tick stays cheap at one sample a second.
  const candidates = pastThreshold(pre, post, input.rules, persist);
  if (!candidates.some((name) => input.rules[name]!.critical) && candidates.length < 2) return undefined;
  const judged = analyze({ ...input, pre, post, alpha: EARLY_ALPHA, expected: undefined });
  if (judged.verdict !== 'rollback_recommended') return undefined;
  const drivers = judged.metrics.filter((m) => m.status === 'regression' && !m.evidence.untestable);
  const critical = drivers.filter((m) => input.rules[m.name]?.critical);
  if (critical.length === 0 && drivers.length < 2) return undefined;
  const persisted = (critical.length > 0 ? critical : drivers).filter((m) => {
    const recent = post.column(m.name, post.length - persist);
    return recent.state.every((state, i) => state === NUMBER && m.baseline !== null && badPercent(input.rules[m.name]!, m.baseline, recent.values[i]! - m.baseline) >= m.threshold_pct);
  });
  if (critical.length > 0 ? persisted.length === 0 : persisted.length < 2) return undefined;
  return persisted.map((m) => m.name);
}

/** Slack against the judge's rounded baseline: this check must never drop a metric the judge would keep. */
const CANDIDATE_SLACK = 0.9;

/** Metrics whose last `persist` POST values are all (nearly) past the threshold against the PRE median. */
function pastThreshold(pre: PhaseColumns, post: PhaseColumns, rules: Rules, persist: number): string[] {
  const out: string[] = [];
  for (const [name, rule] of Object.entries(rules)) {
    const recent = post.column(name, post.length - persist);
    if (!recent.state.every((state) => state === NUMBER)) continue;
    const before = pre.column(name);
    const usable: number[] = [];
    before.state.forEach((state, i) => state === NUMBER && (rule.allow_negative || before.values[i]! >= 0) && usable.push(before.values[i]!));
    if (usable.length === 0) continue;
    const baseline = median(usable);
    if (recent.values.every((v) => badPercent(rule, baseline, v - baseline) >= CANDIDATE_SLACK * rule.threshold)) out.push(name);
  }
  return out;
}
