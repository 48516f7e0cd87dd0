/**
 * Early decision during the POST window: stop with rollback_recommended as soon as a regression is
 * decisive, so an outage is flagged in seconds rather than at the end of a 15-minute window.
 * `ok` always waits for the full window. Pure.
 *
 * A window is looked at after every sample, so a test at a fixed level would get many chances to
 * stop a healthy deploy by luck. The looks share one error budget instead (alpha spending,
 * Bonferroni over the planned looks): each look tests at EARLY_ALPHA / looks, which bounds the
 * chance of any false early stop in the window by EARLY_ALPHA whatever the window's length, and
 * the p-values themselves allow for bursts and serial dependence (see judge-metric.ts).
 *
 * Decisive means all of: the settle period is over and at least MIN_LOOK samples followed it
 * (settle samples are never judged early, whatever `persist`); the judge at the look's level finds
 * a rollback made of tested regressions (a critical one, or two); those metrics were past their
 * threshold in every one of the last `persist` POST samples (the step persists; not a blip); and
 * either two of them moved together, or the critical one alone held for LONE_HOLD samples.
 */
import { analyze, contextOf } from './analyze.js';
import { badPercent } from './judge-metric.js';
import { asColumns, NUMBER, type PhaseColumns } from './columns.js';
import { median } from './stats/basic.js';
import type { Analysis, AnalysisInput, MetricResult, Rules } from './types.js';

/** The chance of a false early stop in a whole window, shared by its looks. */
export const EARLY_ALPHA = 0.005;
export const DEFAULT_PERSIST = 3;
/** POST samples after the settle period before the first look, whatever `persist` says. */
export const MIN_LOOK = 3;
/**
 * A critical metric that regressed alone (no second metric moved with it) must have held past its
 * threshold this many samples in a row: errors come in bursts that have nothing to do with a
 * deploy, and a burst that starts just after it looks like a step for its first samples.
 */
export const LONE_HOLD = 12;

export interface EarlyOptions {
  persist?: number;
  /** POST samples the window plans: the number of looks follows from it. */
  planned: number;
  /** false skips the cheap pre-check (for the property test that shows it never changes a decision). */
  precheck?: boolean;
}

/** The first POST sample count at which the early decision looks, and how many looks the window has. */
export function earlyLooks(settle: number, persist: number, planned: number): { first: number; looks: number } {
  const first = settle + Math.max(persist, MIN_LOOK);
  return { first, looks: Math.max(1, planned - first + 1) };
}

export function decisiveRegression(input: AnalysisInput, options: EarlyOptions): string[] | undefined {
  const persist = options.persist ?? DEFAULT_PERSIST;
  const { settle } = contextOf(input);
  const { first, looks } = earlyLooks(settle, persist, options.planned);
  if (input.pre.length === 0 || input.post.length < first) return undefined;
  const post = asColumns(input.post, input.rules);
  const pre = asColumns(input.pre, input.rules);
  // The full judge runs only when the recent samples could make a decision: most ticks of a long
  // healthy window stop here, so judging after every tick stays cheap at one sample a second.
  if (options.precheck !== false) {
    const candidates = pastThreshold(pre, post, input.rules, persist);
    if (!candidates.some((name) => input.rules[name]!.critical) && candidates.length < 2) return undefined;
  }
  const strict = regressions(analyze({ ...input, pre, post, alpha: EARLY_ALPHA / looks, expected: undefined }));
  if (strict.length === 0) return undefined;
  const held = (m: MetricResult, samples: number) => {
    if (post.length - settle < samples) return false;
    const recent = post.column(m.name, post.length - samples);
    return recent.state.every((state, i) => state === NUMBER && m.baseline !== null && badPercent(input.rules[m.name]!, m.baseline, recent.values[i]! - m.baseline) >= m.threshold_pct);
  };
  const decisive = strict.filter((m) => held(m, persist));
  const criticalDecisive = decisive.filter((m) => input.rules[m.name]?.critical);
  if (criticalDecisive.length === 0 && decisive.length < 2) return undefined;
  // Corroboration: a second metric that regressed with it, at the verdict's own level. The stop still
  // rests on one metric decisive at the look's level, so the error bound over the looks holds.
  const corroborating = regressions(analyze({ ...input, pre, post, expected: undefined })).filter((m) => held(m, persist));
  const together = [...new Set([...decisive, ...corroborating].map((m) => m.name))];
  if (together.length >= 2 && (criticalDecisive.length > 0 || decisive.length >= 2)) return together.sort();
  // Alone, a critical metric must outlast a burst.
  const lone = criticalDecisive.filter((m) => held(m, Math.max(persist, LONE_HOLD)));
  return lone.length > 0 ? lone.map((m) => m.name) : undefined;
}

/** Tested regressions of an analysis that recommends a rollback (none otherwise). */
function regressions(a: Analysis): MetricResult[] {
  if (a.verdict !== 'rollback_recommended') return [];
  return a.metrics.filter((m) => m.status === 'regression' && !m.evidence.untestable);
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
