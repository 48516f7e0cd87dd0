/**
 * One metric, PRE against POST, in two steps. `measureMetric` reads the samples: the centres, the
 * size of the move in the bad direction, and the evidence that it is more than noise — a count test
 * (rate.ts) for a share of requests whose volume is known, otherwise a robust shift test
 * (stats/shift.ts); both allow for overdispersion and serial dependence, so real, bursty,
 * autocorrelated samples do not pass for proof. `classifyMetric` then gives the status, once the
 * analysis has decided which p-values are significant across all the judged metrics (Holm). The
 * first POST samples are set aside as a settle period (restart blips); a steady rise inside the
 * window is caught by the trend test, unless the same rise was already there before the deploy.
 * Pure.
 */
import { median, medianInPlace, roundSig, sdFromAbsDeviations } from './stats/basic.js';
import { inBadDirection, moveSize, powerAt, shiftTest, type ShiftTest } from './stats/shift.js';
import { trendOf, trendPValue, type Trend } from './stats/trend.js';
import { ABSENT, NUMBER, type PhaseColumns } from './columns.js';
import { countedPerInterval, countsOf, noTraffic } from './rate.js';
import type { Scratch } from './scratch.js';
import type { Evidence, MetricResult, MetricRule, MetricStatus } from './types.js';
import { countChangeP, rateIncreaseTest, rateOf, totalsOf } from './stats/binomial.js';

/** Trend test significance: stricter than the level test, a window has many chances to look like a trend. */
const TREND_ALPHA = 0.01;

/**
 * A trend is the deploy's only when the end of the window sits this many of PRE's own standard
 * deviations past the baseline: a real series wanders (a thin sample's p95 drifts for minutes), and
 * a rise that ends inside what PRE already ranged over is that wander, not a leak or a creep.
 */
const TREND_END_SPREADS = 3;

/**
 * A move past the threshold that the test cannot confirm is put down to noise only when it is
 * smaller than this many units of the baseline's own noise (noiseZ): then the baseline's variability
 * explains it. Larger unconfirmed moves raise attention: they may be real, and the samples are too
 * few or too noisy to tell.
 */
const NOISE_EXPLAINS_Z = 1;

/** Power against a threshold-sized move from which a baseline that varies by more than the threshold is still judgeable. */
const JUDGEABLE_POWER = 0.8;

/** A step at the deploy beyond a drift PRE already had must pass this level to be the deploy's. */
const DRIFT_STEP_ALPHA = 0.05;

/**
 * `gradual: attention`: a move is gradual when POST trends the bad way at this level and its trend
 * line, at the deploy, shows less than this share of the whole move. A step injected at the deploy
 * into real traffic keeps about all of its size there; a decline through an evening shows a
 * fraction (measured on the real-noise suite, docs/analysis.md).
 */
const GRADUAL_TREND_ALPHA = 0.05;
const GRADUAL_STEP_SHARE = 0.7;

/**
 * The step at the deploy, for a metric whose window as a whole moved less than the threshold: PRE's
 * last DEPLOY_STEP_SAMPLES samples against POST's first as many judged ones, by the same shift test.
 * At DEPLOY_STEP_ALPHA and past DEPLOY_STEP_TIMES the threshold it is attention: a regression that
 * came with the deploy and that the rest of the window hid (traffic that was going to fall anyway,
 * a VM that went quiet), or a warm-up that outlasted the settle period. Measured on the real-noise
 * suite: `ok` past twice the threshold 3.0% -> 2.8%, two more healthy windows flagged (both fell
 * right after the deploy); at p < 0.001 and the threshold itself, +0.4 points of false alarms.
 */
const DEPLOY_STEP_SAMPLES = 6;
const DEPLOY_STEP_ALPHA = 0.01;
const DEPLOY_STEP_TIMES = 2;

/** Significance level at which confidence reads a test's power (the level a regression is called at). */
const POWER_ALPHA = 0.05;

const SHIFT_SLOTS = { a: 'test_a', b: 'test_b', r: 'test_r', m: 'median' } as const;

export interface JudgeContext {
  /** Earlier healthy runs, as columns. */
  healthy: readonly { pre: PhaseColumns; post: PhaseColumns }[];
  /** POST samples to set aside at the start. */
  settle: number;
  /** Seconds per sample, to turn per-second volumes into counts. */
  intervalSeconds: number;
  /** The interval was given (not the one-second stand-in): a rate times it is what one sample counted. */
  intervalKnown: boolean;
  /** PRE ends where POST begins (AnalysisInput.preAdjacent): what sits next to the deploy can be read. */
  adjacent: boolean;
  /** Work arrays, reused from metric to metric. */
  scratch: Scratch;
}

/** What the samples say about one metric, before any verdict. */
export interface Measurement {
  name: string;
  rule: MetricRule;
  /** POST samples where the rule's event counter grew more than its request counter (no share read from them). */
  counterDisagreements?: number;
  /** Whether the metric appeared at all, in either phase. */
  seen: boolean;
  /** Set when one side has no usable value: the status is decided without a test. */
  missing?: 'no_data' | 'no_baseline';
  baseline: number;
  current: number;
  /** current - baseline. */
  delta: number;
  /** The move in the bad direction, in percent of the baseline (Infinity from a zero baseline). */
  badPct: number;
  /** One-sided p-value of the test in the bad direction; null when untestable. */
  pValue: number | null;
  /** How likely a move of the threshold's size would have been found: the strength of an `ok`. */
  power: number;
  /**
   * How far outside the baseline's noise the move is: in PRE's own sample spread (shift test), or in
   * standard errors of the difference of the rates (count test).
   */
  noiseZ: number;
  /** PRE's own samples varied by more than the threshold, too much for these samples to place a threshold-sized move. */
  unstable: boolean;
  /** PRE was already moving the bad way (see ShiftTest.drift). */
  drift?: { preTrendP: number; stepP: number; lastSamples?: number };
  /**
   * POST's trend line: its change at the deploy (the line's value at the first judged POST sample
   * against the baseline), in percent and in the bad direction, and the trend's p-value the bad way.
   */
  postLine?: { stepPct: number; stepBadPct: number; pValue: number };
  evidence: Evidence;
  fewSamples: boolean;
  lowVolume: boolean;
  /** endSpreads: the end of the window past the baseline, in the bad direction, in PRE's own standard deviations. */
  trend?: { pValue: number; projectedBadPct: number; endBadPct: number; endSpreads: number; preExisting: boolean };
  /** The settle period's median move in the bad direction, in percent (null without a settle period). */
  settleBadPct: number | null;
  /** Usable values per phase (POST: after the settle period). */
  samples: { pre: number; post: number };
  /**
   * The median of the PRE-to-POST moves of every pair of samples (the Hodges-Lehmann shift, the
   * estimate that goes with a rank test), in the bad direction, in percent of the baseline: the move
   * the samples show pair by pair, where the phases' medians can stand for little. Shift-tested metrics
   * whose medians moved less than the threshold, or into the attention band from an unstable baseline, only.
   */
  pairBadPct?: number;
  /**
   * The step at the deploy (DEPLOY_STEP_SAMPLES a side, next to it) in the bad direction, in percent
   * of PRE's last samples and in the values' units, and its shift test's p-value. Shift-tested
   * metrics whose medians moved less than the threshold, with samples enough, and PRE's last
   * samples not at zero (a step from zero has no relative size), only.
   */
  deployStep?: { badPct: number; delta: number; pValue: number };
}

export interface MetricJudgement {
  measurement: Measurement;
  result: MetricResult;
  seen: boolean;
  /** A move past the threshold that the test could not confirm, and the noise does not explain. */
  uncertain: boolean;
  /** A steady move inside the window, past the trend band. */
  trending: boolean;
  /** The same trend was already there before the deploy: not counted. */
  trendBeforeDeploy: boolean;
  /** The settle samples were past the threshold, the rest is fine: a transient blip that recovered. */
  blip: boolean;
  /** Would have been a regression, but too few samples or too little traffic to call it one. */
  capped: 'few_samples' | 'low_volume' | null;
  /** Past the threshold, but inside the baseline's own variability. */
  withinNoise: boolean;
  /** Would be ok, but PRE varied too much to place a threshold-sized move: not judged, attention. */
  unstable: boolean;
  /** A significant move past the threshold that came on gradually after the deploy, under `gradual: attention`: attention. */
  gradual: boolean;
  /** The PRE-to-POST pairs moved past the threshold, the medians did not: attention (Measurement.pairBadPct). */
  pairwise: boolean;
  /** The samples next to the deploy stepped past twice the threshold, the window did not: attention (Measurement.deployStep). */
  deployStep: boolean;
  /** Set by the analysis when a rise is explained by a rise in traffic. */
  explainedByTraffic?: boolean;
  /** The p-value after the correction for the number of metrics judged together (set by the analysis). */
  adjustedP?: number | null;
}

interface Series {
  values: Float64Array;
  invalid: number;
  present: number;
}

export function measureMetric(name: string, rule: MetricRule, pre: PhaseColumns, post: PhaseColumns, ctx: JudgeContext): Measurement {
  const scratch = ctx.scratch;
  const before = series(name, rule, pre, scratch, 'before');
  // Settle: set the first samples aside, unless that would leave too few to judge.
  const settle = post.length - ctx.settle >= rule.min_samples ? ctx.settle : 0;
  const after = series(name, rule, post, scratch, 'after', settle);
  const skipped = settle > 0 ? series(name, rule, post, scratch, 'skipped', 0, settle) : undefined;
  const postInvalid = after.invalid + (skipped?.invalid ?? 0);
  const counter = pre.counterOf(name) ?? post.counterOf(name);
  const untimed = counter ? (pre.untimedInterval() ?? post.untimedInterval()) : undefined;
  const evidence: Evidence = { test: 'none', p_value: null, untestable: true, settle_skipped: settle, invalid: { pre: before.invalid, post: postInvalid }, ...(counter ? { from_counter: counter } : {}), ...(untimed !== undefined ? { untimed_interval_s: untimed } : {}) };
  const disagreed = post.counterDisagreements(name);
  const base = {
    name,
    rule,
    ...(disagreed > 0 ? { counterDisagreements: disagreed } : {}),
    // Judged only when some sample held a number for it: values that are never numbers (a string, null) are stored, never judged.
    seen: before.values.length + after.values.length + (skipped?.values.length ?? 0) > 0,
    evidence,
    fewSamples: before.values.length < rule.min_samples || after.values.length < rule.min_samples,
    lowVolume: false,
    pValue: null,
    power: 0,
    noiseZ: 0,
    unstable: false,
    settleBadPct: null,
    samples: { pre: before.values.length, post: after.values.length },
  };

  if (after.values.length === 0) {
    return { ...base, missing: 'no_data', baseline: before.values.length > 0 ? medianInPlace(before.values) : Number.NaN, current: Number.NaN, delta: Number.NaN, badPct: Number.NaN };
  }
  const counts = rule.direction === 'increase' ? countsOf(name, rule, pre, post, settle, ctx.intervalSeconds) : undefined;
  // No request before the deploy: the share it reported (0 / 0, read as 0, or no share at all) is no baseline for errors after it.
  if (counts && noTraffic(counts.pre)) {
    const served = totalsOf(counts.post);
    evidence.counts = { pre_events: 0, pre_requests: 0, post_events: served.events, post_requests: Math.round(served.requests), estimated: counts.estimated, overdispersion: 1 };
    return { ...base, missing: 'no_baseline', baseline: Number.NaN, current: rateOf(counts.post), delta: Number.NaN, badPct: Number.NaN };
  }
  if (before.values.length === 0) {
    return { ...base, missing: 'no_baseline', baseline: Number.NaN, current: medianInPlace(after.values), delta: Number.NaN, badPct: Number.NaN };
  }

  // Order-dependent work first (the trends, the samples next to the deploy); the tests and medians
  // then reorder the arrays in place.
  const nextToDeploy = ctx.adjacent && before.values.length >= DEPLOY_STEP_SAMPLES && after.values.length >= DEPLOY_STEP_SAMPLES
    ? { pre: Array.from(before.values.subarray(before.values.length - DEPLOY_STEP_SAMPLES)), post: Array.from(after.values.subarray(0, DEPLOY_STEP_SAMPLES)) }
    : undefined;
  const postTrend = trendOf(after.values, (n) => scratch.take('median', n));
  const trend = rule.trend ? postTrend : undefined;
  const preTrend = rule.trend && before.values.length >= 6 ? trendOf(before.values, (n) => scratch.take('median', n)) : undefined;
  const end = trend ? median(after.values, after.values.length - Math.ceil(after.values.length / 3), after.values.length, (n) => scratch.take('median', n)) : Number.NaN;

  let measured: Pick<Measurement, 'baseline' | 'current' | 'pValue' | 'power' | 'noiseZ' | 'lowVolume' | 'drift'> & { unstable?: boolean };
  // The shift test compared logarithms (every value positive); undefined for the count test.
  let positive: boolean | undefined;
  if (counts) {
    const t = rateIncreaseTest(counts.pre, counts.post);
    // The rates from the counts as they are (the test rounds events to whole ones; the rates must not move with it).
    const [b, c] = [rateOf(counts.pre), rateOf(counts.post)];
    Object.assign(evidence, {
      test: 'rate',
      p_value: roundSig(t.pValue, 3),
      untestable: false,
      counts: { pre_events: t.pre.events, pre_requests: Math.round(t.pre.requests), post_events: t.post.events, post_requests: Math.round(t.post.requests), estimated: counts.estimated, overdispersion: roundSig(t.overdispersion, 3) },
    } satisfies Partial<Evidence>);
    // The standard error of the difference of the two rates at this dispersion (from a zero
    // baseline, as if half an event had been seen): the size of noise, and the power against a
    // threshold-sized rise.
    const p = Math.min(0.5, Math.max(b, 0.5 / Math.max(1, t.pre.requests)));
    const se = Math.sqrt(t.overdispersion * p * (1 - p) * (1 / Math.max(1, t.pre.requests) + 1 / Math.max(1, t.post.requests)));
    measured = { baseline: b, current: c, pValue: t.pValue, power: powerAt({ se }, (p * rule.threshold) / 100, POWER_ALPHA), noiseZ: se > 0 ? (c - b) / se : Number.POSITIVE_INFINITY, lowVolume: t.post.requests < rule.min_volume };
  } else {
    // A rate of counted events whose samples are whole counts per interval: no test of them may be
    // more certain than the exact count test (at a few requests per interval the medians jump
    // between a handful of levels, and the shift test alone was sure of a fall that chance gives).
    const counted = rule.counter ? countedPhases(name, rule.direction, { pre, post, settle }, { before: before.values, after: after.values }, ctx) : undefined;
    if (counted) evidence.counted = { ...counted, p_value: roundSig(counted.p_value, 3) };
    const bounded = (p: number) => (counted ? Math.max(counted.p_value, p) : p);
    const steady = postTrend !== undefined && Math.min(postTrend.pValueUp, postTrend.pValueDown) < TREND_ALPHA;
    const history = healthyMedians(name, rule, ctx);
    const shift = shiftTest(before.values, after.values, rule.direction, (use, n) => scratch.take(SHIFT_SLOTS[use], n), { detrendAfter: steady, ...(history ? { history } : {}), gap: settle, ...(ctx.adjacent ? { driftFrom: Math.min(rule.attention, rule.threshold) / 100 } : {}) });
    positive = shift.log && shift.offset === 0;
    if (shift.history) evidence.history = { runs: shift.history.runs, typical_change_pct: roundPct(shift.log ? 100 * Math.expm1(shift.history.sd) : changePercent(median(before.values), shift.history.sd)) };
    Object.assign(evidence, { test: 'shift', p_value: roundSig(bounded(shift.pValue), 3), untestable: before.values.length < 2 && after.values.length < 2 } satisfies Partial<Evidence>);
    if (shift.drift) {
      const { preTrendP, stepP, lastSamples } = shift.drift;
      evidence.drift = { pre_trend_p: roundSig(preTrendP, 3), step_p: roundSig(stepP, 3), ...(lastSamples ? { last_samples: lastSamples } : {}) };
    }
    const { before: baseline, after: current } = shift.medians;
    const size = thresholdSize(shift, rule, baseline);
    // The test pools both phases' noise; a quiet POST must not make a baseline that jumped about look
    // well placed: the power (an ok's confidence) is read with PRE's own uncertainty at least.
    const power = size === undefined ? 0 : powerAt({ se: Math.max(shift.se, baselineSe(shift.preSpread, before.values.length)) }, size, POWER_ALPHA);
    measured = {
      baseline,
      current,
      pValue: bounded(shift.pValue),
      power,
      // The baseline's own variability is what may explain a move (not the wander between windows,
      // which would let a large unconfirmed move pass as ok).
      noiseZ: noiseZ(shift, shift.preSpread, baseline, current, rule),
      lowVolume: false,
      // PRE's own samples varied by more than the threshold, and the samples are too few for their
      // medians to place a threshold-sized move anyway: the baseline cannot say a move is fine.
      unstable: size !== undefined && shift.preSpread >= size && power < JUDGEABLE_POWER,
      ...(shift.drift ? { drift: shift.drift } : {}),
    };
  }
  if (evidence.untestable) measured.pValue = null;
  // A relative difference of a billionth is rounding (the shift test's medians come back through a
  // logarithm), not a move.
  const raw = measured.current - measured.baseline;
  const delta = Math.abs(raw) <= 1e-9 * Math.max(Math.abs(measured.current), Math.abs(measured.baseline)) ? 0 : raw;
  const m: Measurement = { ...base, ...measured, delta, badPct: badPercent(rule, measured.baseline, delta) };
  // Only where the medians show no move past the threshold is there a move for the pairs to add; and
  // where the baseline is unstable, the pairs say whether the level moved into the band at all.
  if (positive !== undefined && (!(m.badPct >= rule.threshold) || (m.unstable && m.badPct >= rule.attention))) {
    m.pairBadPct = pairwiseBadPct(before.values, after.values, rule, m.baseline, positive, scratch);
  }
  // PRE's spread only for a trend that could be a finding (it costs a pass and a selection over PRE).
  if (trend) m.trend = trendFinding(rule, m, trend, preTrend, end, trendPValue(trend, rule.direction) < TREND_ALPHA ? spreadOf(before.values, scratch) : Number.NaN);
  if (postTrend) {
    m.postLine = {
      stepPct: changePercent(m.baseline, postTrend.intercept - m.baseline),
      stepBadPct: badPercent(rule, m.baseline, postTrend.intercept - m.baseline),
      pValue: trendPValue(postTrend, rule.direction),
    };
  }
  if (skipped && skipped.values.length > 0) m.settleBadPct = badPercent(rule, m.baseline, medianInPlace(skipped.values) - m.baseline);
  // Last, on its own copies: the shift test's work arrays are free again.
  if (positive !== undefined && nextToDeploy && !(m.badPct >= rule.threshold)) {
    const step = shiftTest(nextToDeploy.pre, nextToDeploy.post, rule.direction, (use, n) => scratch.take(SHIFT_SLOTS[use], n), { gap: settle });
    const delta = step.medians.after - step.medians.before;
    const badPct = badPercent(rule, step.medians.before, delta);
    if (Number.isFinite(badPct)) m.deployStep = { badPct, delta, pValue: step.pValue };
  }
  return m;
}

/** The status, given whether the metric's p-value passed the analysis's corrected thresholds. */
export function classifyMetric(m: Measurement, significant: { regression: boolean; band: boolean }): MetricJudgement {
  const rule = m.rule;
  const judgement: Omit<MetricJudgement, 'result'> = { measurement: m, seen: m.seen, uncertain: false, trending: false, trendBeforeDeploy: false, blip: false, capped: null, withinNoise: false, unstable: false, gradual: false, pairwise: false, deployStep: false };
  const evidence = m.evidence;
  // min_delta is carried along where it counts, so a report can draw the range the verdict allowed.
  const base = { name: m.name, threshold_pct: rule.threshold, direction: rule.direction, ...(rule.min_delta > 0 ? { min_delta: rule.min_delta } : {}), evidence };
  if (m.missing) {
    return { ...judgement, result: { ...base, samples: m.samples, baseline: finiteOrNull(m.baseline), current: finiteOrNull(m.current), change_pct: null, status: m.missing } };
  }
  const untestable = evidence.untestable;
  const moved = m.delta !== 0 && pastFloor(m.delta, rule.min_delta);
  let status: MetricStatus = 'ok';
  // Moving the bad way already before the deploy, with no step at the deploy beyond that drift: the
  // move is real, the deploy is not shown to be its cause. Never ok past the threshold, never a rollback.
  const drifting = m.drift !== undefined && m.drift.stepP > DRIFT_STEP_ALPHA;
  if (moved && m.badPct >= rule.threshold && (significant.regression || untestable) && drifting) {
    status = 'warning';
    judgement.uncertain = true;
    judgement.trendBeforeDeploy = true;
  } else if (moved && m.badPct >= rule.threshold && (significant.regression || untestable)) {
    judgement.capped = m.fewSamples ? 'few_samples' : m.lowVolume ? 'low_volume' : null;
    status = judgement.capped ? 'warning' : 'regression';
    // Came on gradually, with no step at the deploy, where the rule says that is not the deploy's to answer for.
    if (status === 'regression' && rule.gradual === 'attention' && m.postLine && m.postLine.pValue < GRADUAL_TREND_ALPHA && m.postLine.stepBadPct < GRADUAL_STEP_SHARE * m.badPct) {
      status = 'warning';
      judgement.gradual = true;
      evidence.gradual = { step_change_pct: roundPct(m.postLine.stepPct), trend_p: roundSig(m.postLine.pValue, 3) };
    }
  } else if (moved && m.badPct >= rule.threshold) {
    // Past the threshold, not confirmed. Twice the threshold is never put down to noise (from a
    // zero baseline a move has no relative size: only the noise can say how large it is).
    const big = m.badPct >= 2 * rule.threshold && m.baseline !== 0;
    if (!big && m.noiseZ < NOISE_EXPLAINS_Z) {
      judgement.withinNoise = true;
    } else {
      status = 'warning';
      judgement.uncertain = true;
    }
  } else if (moved && m.badPct >= rule.attention && significant.band) {
    // Into the band, but only continuing a drift PRE already had: not the deploy's, and said.
    if (drifting) judgement.trendBeforeDeploy = true;
    else status = 'warning';
  } else if (moved && rule.direction !== 'both' && -m.badPct >= rule.threshold) {
    status = 'improvement';
  }

  if (m.trend && status !== 'regression' && m.baseline !== 0) {
    evidence.trend = { change_pct: roundPct(m.trend.projectedBadPct * (rule.direction === 'decrease' ? -1 : 1)), p_value: roundSig(m.trend.pValue, 3) };
    // A quarter of the threshold over one window is a steady drift worth a look (a leak, a creep),
    // provided the end of the window really sits that far past the baseline (not a dip recovering).
    const band = rule.threshold / 4;
    if (m.trend.pValue < TREND_ALPHA && m.trend.projectedBadPct >= band && m.trend.endBadPct >= band && m.trend.endSpreads >= TREND_END_SPREADS) {
      if (m.trend.preExisting) judgement.trendBeforeDeploy = true;
      else {
        judgement.trending = true;
        status = 'warning';
        judgement.uncertain = false;
      }
    }
  }

  // The medians say no move past the threshold (or an improvement), the PRE-to-POST pairs say one:
  // samples spread or clustered so that a phase's median stands for little (a level alternating
  // between two values puts an even phase's median between them, an odd one's on one of them, and
  // a doubling read as -87%). Never ok: attention, with both figures.
  if ((status === 'ok' || status === 'improvement') && !(m.badPct >= rule.threshold) && m.pairBadPct !== undefined && m.pairBadPct >= rule.threshold && pastFloor((m.pairBadPct / 100) * m.baseline, rule.min_delta)) {
    status = 'warning';
    judgement.pairwise = true;
    evidence.pairwise = { change_pct: roundPct(rule.direction === 'decrease' ? -m.pairBadPct : m.pairBadPct) };
  }

  // The window says no move past the threshold, the samples next to the deploy a step past twice it.
  const step = m.deployStep;
  if ((status === 'ok' || status === 'improvement') && step && step.pValue < DEPLOY_STEP_ALPHA && step.badPct >= DEPLOY_STEP_TIMES * rule.threshold && pastFloor(step.delta, rule.min_delta)) {
    status = 'warning';
    judgement.deployStep = true;
    evidence.deploy_step = { change_pct: roundPct(rule.direction === 'decrease' ? -step.badPct : step.badPct), p_value: roundSig(step.pValue, 3), samples: DEPLOY_STEP_SAMPLES };
  }

  // An unstable baseline cannot vouch for a move past the threshold that its own spread would
  // explain: attention. A POST short of the threshold shows nothing the rule calls a regression: ok,
  // with the low confidence and the hint baseline_unstable that say how little that ok is worth
  // (docs/analysis.md, "Status"; a move into the band that is significant is attention above).
  // Unless the PRE-to-POST pairs moved less than half the band: the medians' move is then where the
  // samples happened to fall, not the level (a level alternating between two values puts an even
  // phase's median between them, an odd one's on one of them: +50% from nothing at all).
  if (status === 'ok' && m.unstable && moved && m.badPct >= rule.threshold && !(m.pairBadPct !== undefined && m.pairBadPct < rule.attention / 2)) {
    status = 'warning';
    judgement.unstable = true;
  }

  // Recovered means back below the attention band: a level that stayed 48% up after settling 70%
  // up did not recover, however the verdict reads it.
  if (m.settleBadPct !== null && (status === 'ok' || status === 'improvement') && !(m.badPct >= rule.attention)) {
    judgement.blip = m.settleBadPct >= rule.threshold && pastFloor((m.settleBadPct / 100) * m.baseline, rule.min_delta);
  }

  const changePct = m.baseline !== 0 ? ratioPct(m.delta, m.baseline) : m.delta === 0 ? 0 : null;
  return {
    ...judgement,
    result: { ...base, samples: m.samples, baseline: roundSig(m.baseline), current: roundSig(m.current), change_pct: changePct === null ? null : roundPct(changePct), status },
  };
}

/**
 * The change in the rule's bad direction, in percent of the baseline (Infinity from a zero
 * baseline). Overflow-safe. To 12 significant digits: 0.1 -> 0.15 is +50% against a threshold of
 * 50, as 100 -> 150 is (binary fractions made it 49.99999999999999%, short of it).
 */
export function badPercent(rule: MetricRule, baseline: number, delta: number): number {
  return roundSig(changePercent(baseline, inBadDirection(delta, rule.direction)), 12);
}

/** |delta| reaches the rule's absolute floor, to the same precision (0.013 - 0.01 is a floor of 0.003). */
function pastFloor(delta: number, minDelta: number): boolean {
  return Math.abs(delta) >= minDelta || roundSig(Math.abs(delta), 12) >= minDelta;
}

/**
 * A signed change in percent of the baseline; from a zero baseline, none is 0 and any other is
 * +-Infinity, never NaN: shown past 1e300% as 1e300% (roundPct).
 */
function changePercent(baseline: number, delta: number): number {
  if (baseline === 0) return delta > 0 ? Number.POSITIVE_INFINITY : delta < 0 ? Number.NEGATIVE_INFINITY : 0;
  return ratioPct(delta, baseline);
}

/** a / |b| in percent, computed so that finite inputs never give NaN (an overflow is +-Infinity, which compares as its size calls for). */
function ratioPct(a: number, b: number): number {
  const ratio = a / Math.abs(b);
  return Number.isFinite(ratio) ? ratio * 100 : ratio;
}

/** Percent with one decimal, kept finite for JSON (a relative change past 1e300% is shown as 1e300%). */
function roundPct(pct: number): number {
  const rounded = Math.round(pct * 10) / 10;
  // -0 (a fall rounded to nothing) is 0: JSON and the reports would not agree on its sign.
  if (rounded === 0) return 0;
  return Number.isFinite(rounded) ? rounded : Math.sign(pct) * 1e300;
}

function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? roundSig(v) : null;
}

/** A threshold-sized move on the test's scale (log or linear); undefined where it has no size (a zero baseline). */
function thresholdSize(t: ShiftTest, rule: MetricRule, baseline: number): number | undefined {
  return (!t.log || t.offset > 0) && baseline === 0 ? undefined : moveSize(rule.threshold / 100, rule.direction, t.log, baseline / t.unit, t.offset);
}

/**
 * The standard error of PRE's median from PRE's own spread alone: the test pools both phases' noise,
 * which a quiet POST would make look small next to a baseline that jumped about.
 */
function baselineSe(preSpread: number, n: number): number {
  return n > 0 ? preSpread * Math.sqrt((n <= 2 ? 1 : Math.PI / 2) / n) : Number.POSITIVE_INFINITY;
}

/** The observed move in the bad direction, in units of `scale` (on the test's scale). */
function noiseZ(t: ShiftTest, scale: number, baseline: number, current: number, rule: MetricRule): number {
  if (scale === 0) return Number.POSITIVE_INFINITY;
  // In the test's units (values past 1e154 would overflow the difference or the standard error).
  const [b, c] = [baseline / t.unit + t.offset, current / t.unit + t.offset];
  const d = t.log && b > 0 && c > 0 ? Math.log(c) - Math.log(b) : c - b;
  return inBadDirection(d, rule.direction) / scale;
}

/** The POST trend, in the rule's bad direction, and whether PRE already moved the same way as fast. */
function trendFinding(rule: MetricRule, m: Measurement, trend: Trend, preTrend: Trend | undefined, end: number, preSd: number): Measurement['trend'] {
  const down = rule.direction === 'decrease';
  const projected = trend.slope * (trend.length - 1);
  const pValue = down ? trend.pValueDown : trend.pValueUp;
  const samePreTrend =
    preTrend !== undefined && (down ? preTrend.pValueDown : preTrend.pValueUp) < 0.05 && (down ? -preTrend.slope : preTrend.slope) >= 0.5 * (down ? -trend.slope : trend.slope);
  const endBad = inBadDirection(end - m.baseline, rule.direction);
  // A PRE without spread (flat, or a single sample) leaves any move past it; NaN: not measured (no trend to speak of).
  const endSpreads = Number.isNaN(preSd) ? Number.NaN : preSd > 0 ? endBad / preSd : endBad > 0 ? Number.POSITIVE_INFINITY : 0;
  return { pValue, projectedBadPct: badPercent(rule, m.baseline, projected), endBadPct: badPercent(rule, m.baseline, end - m.baseline), endSpreads, preExisting: samePreTrend };
}

/** A robust standard deviation of the values (PRE's own spread, in the values' units). */
function spreadOf(values: Float64Array, scratch: Scratch): number {
  const work = scratch.take('median', values.length);
  work.set(values);
  const centre = medianInPlace(work);
  for (let i = 0; i < values.length; i++) work[i] = Math.abs(values[i]! - centre);
  return sdFromAbsDeviations(work);
}

/** Each earlier healthy run's PRE and POST medians of this metric (the shift test takes their moves on its own scale). */
function healthyMedians(name: string, rule: MetricRule, ctx: JudgeContext): [number, number][] | undefined {
  const runs: [number, number][] = [];
  for (const h of ctx.healthy) {
    const a = usableValues(name, rule, h.pre);
    const b = usableValues(name, rule, h.post);
    if (a.length > 0 && b.length > 0) runs.push([median(a), median(b)]);
  }
  return runs.length > 0 ? runs : undefined;
}

function usableValues(name: string, rule: MetricRule, phase: PhaseColumns): number[] {
  const col = phase.column(name);
  const out: number[] = [];
  for (let i = 0; i < col.state.length; i++) if (col.state[i] === NUMBER && (rule.allow_negative || col.values[i]! >= 0)) out.push(col.values[i]!);
  return out;
}

/** The metric's usable values over samples [from, to) in the role's scratch array. */
function series(name: string, rule: MetricRule, phase: PhaseColumns, scratch: Scratch, role: 'before' | 'after' | 'skipped', from = 0, to = phase.length): Series {
  const col = phase.column(name, from, to);
  const values = scratch.take(role, to - from);
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
    values[n++] = v;
  }
  return { values: values.subarray(0, n), invalid, present };
}

/**
 * Both phases' totals and the exact count test's p-value, when the values are counts: read from the
 * rule's counter in both phases (its whole deltas, over the seconds between the samples), or every
 * value a whole count per interval (the interval known).
 */
function countedPhases(name: string, direction: MetricRule['direction'], phases: { pre: PhaseColumns; post: PhaseColumns; settle: number }, values: { before: Float64Array; after: Float64Array }, ctx: JudgeContext): Evidence['counted'] {
  const fromCounter = [phases.pre.countedOver(name), phases.post.countedOver(name, phases.settle)];
  const [pre, post] = fromCounter[0] && fromCounter[1]
    ? fromCounter
    : ctx.intervalKnown ? [countedPerInterval(values.before, ctx.intervalSeconds), countedPerInterval(values.after, ctx.intervalSeconds)] : [];
  return pre && post && pre.exposure > 0 && post.exposure > 0 && Number.isSafeInteger(pre.count + post.count) ? { pre: pre.count, post: post.count, p_value: countChangeP(pre, post, direction) } : undefined;
}

/** Samples per phase the pairs are formed from at most (evenly spaced): 64 x 64 moves. */
const MAX_PAIR_SIDE = 64;

/**
 * The Hodges-Lehmann shift between the phases in the bad direction, in percent: the median of every
 * PRE-to-POST pair's move, as a ratio when every value is positive (`positive`: the shift test's log
 * scale), otherwise as a difference in percent of the baseline. Undefined without a relative size.
 */
function pairwiseBadPct(before: Float64Array, after: Float64Array, rule: MetricRule, baseline: number, positive: boolean, scratch: Scratch): number | undefined {
  const n = Math.min(before.length, MAX_PAIR_SIDE);
  const k = Math.min(after.length, MAX_PAIR_SIDE);
  if (n === 0 || k === 0 || (!positive && baseline === 0)) return undefined;
  // Each value's logarithm once (a pair's move is their difference), in the work array's tail.
  const moves = scratch.take('median', n * k + n + k);
  const a = moves.subarray(n * k, n * k + n);
  const b = moves.subarray(n * k + n);
  for (let i = 0; i < n; i++) {
    const v = before[Math.floor((i * before.length) / n)]!;
    a[i] = positive ? Math.log(v) : v;
  }
  for (let j = 0; j < k; j++) {
    const v = after[Math.floor((j * after.length) / k)]!;
    b[j] = positive ? Math.log(v) : v;
  }
  let w = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) moves[w++] = b[j]! - a[i]!;
  const mid = medianInPlace(moves.subarray(0, n * k));
  const change = positive ? Math.expm1(mid) * 100 : (mid / Math.abs(baseline)) * 100;
  // To the precision badPercent has: compared with the same thresholds.
  return roundSig(rule.direction === 'decrease' ? -change : rule.direction === 'increase' ? change : Math.abs(change), 12);
}
