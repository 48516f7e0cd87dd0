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
 *
 * An endpoint that answered before the deploy and fails after it ends the window too, once its
 * finding can no longer be undone by the rest of the window (outage.ts): that stop adds no error.
 */
import { classifyAll, DEFAULT_ALPHA, measureAll, rollbackMetrics, settleOf } from './analyze.js';
import { badPercent, type MetricJudgement } from './judge-metric.js';
import { asColumns, NUMBER, trustedColumns, type PhaseColumns } from './columns.js';
import { outageDecisive, outageProgress } from './outage.js';
import { maxOf, median, minOf } from './stats/basic.js';
import type { AnalysisInput, MetricResult, Rules } from './types.js';

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
  /**
   * POST ticks ended so far and the settle period, in ticks since the deploy (`input.settle` is then
   * the samples that came from it). Without it, every tick is taken to have had data.
   */
  ticks?: { done: number; settle: number };
}

/** What the early decision is waiting for, after a look: shown live, so a long wait explains itself. */
export type LookState =
  /** Settle samples are never judged. */
  | { kind: 'settling'; done: number; of: number }
  /** Settled, but fewer samples than the first look needs. */
  | { kind: 'waiting'; first: number }
  /** Nothing past its threshold in the latest samples (or no baseline to compare with). */
  | { kind: 'quiet' }
  /** Past the threshold, but the test is not yet strong enough for this look's share of the error budget. */
  | { kind: 'not_decisive'; metric: string; p: number | null; needs: number }
  /** A regression of a metric that is not critical: it ends the window early only with a second one. */
  | { kind: 'alone'; metric: string }
  /** Significant, but not yet held long enough: `persist` samples, or LONE_HOLD for a critical metric alone. */
  | { kind: 'holding'; metrics: string[]; held: number; needs: number; alone: boolean }
  /** An endpoint failing after the deploy, short of the share that decides it. */
  | { kind: 'endpoint'; endpoint: string; failed: number; needs: number }
  /** `metrics`: the metrics the rollback rests on, or the failing endpoints (`endpoints`). */
  | { kind: 'decisive'; metrics: string[]; endpoints?: boolean };

export interface EarlyLook {
  /** Set when the window should end now: the metrics (or endpoints) the rollback rests on. */
  decisive?: string[];
  state: LookState;
}

/** The first POST sample count at which the early decision looks, and how many looks the window has. */
export function earlyLooks(settle: number, persist: number, planned: number): { first: number; looks: number } {
  const first = settle + Math.max(persist, MIN_LOOK);
  return { first, looks: Math.max(1, planned - first + 1) };
}

/** The metrics of a decisive regression, if the POST samples so far make one (endpoints are not looked at). */
export function decisiveRegression(input: AnalysisInput, options: EarlyOptions): string[] | undefined {
  return metricLook(input, options).decisive;
}

/**
 * One look: a failing endpoint whose finding the rest of the window cannot undo (outage.ts), else a
 * decisive regression of the metrics; with what the decision is still waiting for when neither.
 */
export function earlyLook(input: AnalysisInput, options: EarlyOptions): EarlyLook {
  const endpoints = input.endpoints;
  const broken = endpoints ? outageDecisive(endpoints, input.alpha ?? DEFAULT_ALPHA) : undefined;
  if (broken) return { decisive: broken, state: { kind: 'decisive', metrics: broken, endpoints: true } };
  const look = metricLook(input, options);
  const failing = endpoints && (endpoints.action ?? 'rollback') === 'rollback' ? outageProgress(endpoints) : undefined;
  if (!look.decisive && failing && (look.state.kind === 'quiet' || look.state.kind === 'waiting' || look.state.kind === 'settling')) {
    return { state: { kind: 'endpoint', endpoint: failing.endpoint, failed: failing.failed, needs: failing.needed } };
  }
  return look;
}

function metricLook(input: AnalysisInput, options: EarlyOptions): EarlyLook {
  const persist = options.persist ?? DEFAULT_PERSIST;
  // Only the settle period: the judge's context would turn every history window into columns at every look.
  const settle = settleOf(input);
  const { first, looks } = earlyLooks(settle, persist, options.planned);
  const n = input.post.length;
  // The settle period is time since the deploy: a tick that got no data uses it up as well.
  const ticks = options.ticks ?? { done: n, settle };
  if (input.pre.length === 0) return { state: { kind: 'quiet' } };
  if (ticks.done <= ticks.settle && ticks.settle > 0) return { state: { kind: 'settling', done: ticks.done, of: ticks.settle } };
  // Shown against the tick count ("POST sample 7/30"): the first look, if the ticks until then get data.
  if (n < first) {
    // Failed ticks push the first look back: past the window's end there is none to wait for.
    const at = ticks.done + first - n;
    return { state: at <= options.planned ? { kind: 'waiting', first: at } : { kind: 'quiet' } };
  }
  // The counters the judge will not read, not read here either.
  const { pre, post } = trustedColumns(asColumns(input.pre, input.rules), asColumns(input.post, input.rules));
  // The full judge runs only when the recent samples could make a decision: most ticks of a long
  // healthy window stop here, so judging after every tick stays cheap at one sample a second.
  const candidates = pastThreshold(pre, post, input.rules, persist);
  if (options.precheck !== false && !candidates.some((name) => input.rules[name]!.critical) && candidates.length < 2) {
    // One metric past its threshold that is not critical cannot end the window by itself.
    return { state: candidates.length === 1 ? { kind: 'alone', metric: candidates[0]! } : { kind: 'quiet' } };
  }
  const metricsOnly = { ...input, pre, post, expected: undefined, endpoints: undefined };
  const measured = measureAll(metricsOnly);
  const alpha = EARLY_ALPHA / looks;
  const strictJudged = classifyAll(measured, alpha);
  const strict = tested(strictJudged.map((j) => j.result), rollbackMetrics(metricsOnly, strictJudged));
  if (strict.length === 0) return { state: notYet(candidates, strictJudged, input.rules, alpha) };
  const heldFor = (m: MetricResult) => heldSamples(m, post, settle, input.rules);
  const decisive = strict.filter((m) => heldFor(m) >= persist);
  const criticalDecisive = decisive.filter((m) => input.rules[m.name]?.critical);
  if (criticalDecisive.length === 0 && decisive.length < 2) {
    return { state: { kind: 'holding', metrics: strict.map((m) => m.name), held: minOf(strict.map(heldFor)), needs: persist, alone: false } };
  }
  // Corroboration: a second metric that regressed with it, at the verdict's own level. The stop still
  // rests on one metric decisive at the look's level, so the error bound over the looks holds.
  const verdictJudged = classifyAll(measured, input.alpha ?? DEFAULT_ALPHA);
  const corroborating = tested(verdictJudged.map((j) => j.result), rollbackMetrics(metricsOnly, verdictJudged)).filter((m) => heldFor(m) >= persist);
  const together = [...new Set([...decisive, ...corroborating].map((m) => m.name))];
  if (together.length >= 2 && (criticalDecisive.length > 0 || decisive.length >= 2)) return decided(together.sort());
  // Alone, a critical metric must outlast a burst.
  const hold = Math.max(persist, LONE_HOLD);
  const lone = criticalDecisive.filter((m) => heldFor(m) >= hold);
  if (lone.length > 0) return decided(lone.map((m) => m.name));
  return { state: { kind: 'holding', metrics: criticalDecisive.map((m) => m.name), held: maxOf(criticalDecisive.map(heldFor)), needs: hold, alone: true } };
}

/**
 * Why the candidates past their threshold do not make a decision at this look: the strongest one
 * (a critical one first) not yet significant enough, or a regression that cannot decide alone.
 */
function notYet(candidates: string[], judged: MetricJudgement[], rules: Rules, alpha: number): LookState {
  const byName = new Map(judged.map((j) => [j.result.name, j]));
  const waiting = candidates
    .filter((c) => byName.has(c) && byName.get(c)!.result.status !== 'regression')
    .sort((a, b) => Number(rules[b]!.critical) - Number(rules[a]!.critical) || (byName.get(a)!.adjustedP ?? 1) - (byName.get(b)!.adjustedP ?? 1));
  const [first] = waiting;
  if (first !== undefined) return { kind: 'not_decisive', metric: first, p: byName.get(first)!.adjustedP ?? null, needs: alpha };
  const alone = candidates.find((c) => byName.get(c)?.result.status === 'regression');
  return alone === undefined ? { kind: 'quiet' } : { kind: 'alone', metric: alone };
}

function decided(metrics: string[]): EarlyLook {
  return { decisive: metrics, state: { kind: 'decisive', metrics } };
}

/** Tested regressions of a judgement that recommends a rollback from the metrics (none otherwise). */
function tested(metrics: MetricResult[], rollback: string[]): MetricResult[] {
  if (rollback.length === 0) return [];
  return metrics.filter((m) => m.status === 'regression' && !m.evidence.untestable);
}

/** How many of the latest settled POST samples, in a row, the metric was past its threshold. */
function heldSamples(m: MetricResult, post: PhaseColumns, settle: number, rules: Rules): number {
  if (m.baseline === null) return 0;
  const recent = post.column(m.name, settle);
  let held = 0;
  for (let i = recent.state.length - 1; i >= 0; i--) {
    if (recent.state[i] !== NUMBER || badPercent(rules[m.name]!, m.baseline, recent.values[i]! - m.baseline) < m.threshold_pct) break;
    held++;
  }
  return held;
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
