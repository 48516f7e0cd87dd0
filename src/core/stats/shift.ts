/**
 * Did the level move? A robust shift test between PRE and POST that is honest about real samples:
 * - centres are medians and the noise scale is the median absolute deviation of the within-phase
 *   residuals (both phases pooled), so single spikes move neither; on values with a few discrete
 *   levels, where a median jumps a whole step on how a few samples fell, the mean of the middle half;
 * - positive metrics (latency, traffic, CPU, memory) are compared on a log scale, where their noise
 *   is roughly multiplicative and a threshold in percent is a fixed distance; a metric that touches
 *   zero (requests counted per interval, an idle function) on a started log scale (scaleUnit);
 * - the variance of each median is inflated for serial dependence (dependence.ts);
 * - real levels wander: the wander read inside each phase (adjacent blocks whose levels differ more
 *   than their noise explains) is added to what a healthy difference between two windows can be,
 *   and the reference is Student's t with the degrees of freedom both estimates leave, so a short,
 *   autocorrelated or drifting window cannot produce a tiny p-value (measured on real traces:
 *   docs/analysis.md);
 * - a trend PRE already had is told apart from a step at the deploy (step.ts);
 * - earlier healthy runs of the same service, when there are some, are pooled with the window's
 *   own estimate of a healthy move: a move no larger than healthy deploys usually show is not
 *   evidence, and a service whose healthy deploys hardly move has its real moves found sooner.
 * Pure.
 */
import { medianInPlace, middlesInPlace, sdFromAbsDeviations } from './basic.js';
import { inflation, lag1 } from './dependence.js';
import { normalQuantileUpper, upperNormal, upperStudent } from './distributions.js';
import { stepAtDeploy } from './step.js';
import { trendOf, trendPValue } from './trend.js';
import { exponentRange, magnitudes, squaringUnit, unitOf } from './scale.js';

export interface ShiftTest {
  /** One-sided p-value for a move of POST in the bad direction (two-sided for `both`). */
  pValue: number;
  /**
   * The power of two the values were divided by before the test (scaleUnit below). The test's
   * scale is the logarithm of the values divided by `unit` plus `offset`, or the values divided by `unit`.
   */
  unit: number;
  /** What a started logarithm adds to the values divided by `unit` (0: every value positive, or a linear scale). */
  offset: number;
  /** Standard error of the difference of the two centres, on the test's scale. */
  se: number;
  /** Within-phase noise (robust standard deviation of one sample), on the test's scale. */
  spread: number;
  /** The same, from PRE's own samples alone (0 with fewer than 2): how settled the baseline was. */
  preSpread: number;
  /** Lag-1 autocorrelation of the residuals that was allowed for. */
  rho: number;
  /** Effective degrees of freedom of the t reference. */
  df: number;
  log: boolean;
  /**
   * Set when PRE was already moving the bad way (its own trend significant): that trend's p-value,
   * and the p-value of a step at the deploy beyond it. A move that only continues such a trend is not
   * the deploy's to answer for.
   */
  drift?: { preTrendP: number; stepP: number; lastSamples?: number };
  /** The medians of PRE and POST on the values' own scale (their midmeans where ties make a median jump: unsteadyMedian). */
  medians: { before: number; after: number };
  /** The earlier healthy runs pooled in (ShiftOptions.history): their moves' spread in logarithms, or in the values' own units. */
  history?: HistoryMoves;
}

/** How far healthy runs moved from PRE to POST: a standard deviation, and how many runs. */
export interface HistoryMoves {
  sd: number;
  runs: number;
}

export type Badness = 'increase' | 'decrease' | 'both';

/** Work space: `n` values for the given use; the test reorders what it is given. */
export type Space = (use: 'a' | 'b' | 'r' | 'm', n: number) => Float64Array;

export interface ShiftOptions {
  /**
   * POST moves steadily through the window (its trend is significant): measure its noise around
   * that line, not around its median, or a ramp would pass for noise and hide itself.
   */
  detrendAfter?: boolean;
  /**
   * Earlier healthy runs of the same service: each one's PRE and POST medians. Their moves, taken on
   * this test's scale, are pooled with this window's own estimate of a healthy move, weighted by
   * their degrees of freedom (from MIN_HEALTHY_RUNS runs).
   */
  history?: readonly (readonly [number, number])[];
  /** Samples between PRE's last and POST's first (the settle period set aside): the level wanders over them too. */
  gap?: number;
  /** The relative move in the bad direction (0.15 for 15%) from which a drift PRE already had is looked for; without it, none is. */
  driftFrom?: number;
}


export function shiftTest(before: ArrayLike<number>, after: ArrayLike<number>, badness: Badness, space: Space, options: ShiftOptions = {}): ShiftTest {
  const { unit, log, offset } = scaleUnit(before, after);
  const history = options.history ? healthySpread(options.history, unit, log, offset) : undefined;
  const t = scaledShiftTest(before, after, { unit, log, offset }, badness, space, { ...options, history });
  // Multiplying back by a power of two is exact (by 1, a no-op). History on a linear scale is
  // reported in the values' own units.
  const found = history ? { history: log ? history : { ...history, sd: history.sd * unit } } : {};
  return { ...t, unit, offset, medians: { before: t.medians.before * unit, after: t.medians.after * unit }, ...found };
}

/** Runs of history needed before their moves are pooled with the window's own noise. */
const MIN_HEALTHY_RUNS = 3;
/** Median of a chi-square with one degree of freedom: turns the median squared move into a variance. */
const CHI2_1_MEDIAN = 0.4549;

/** How far the healthy runs moved from PRE to POST on the test's scale: a robust standard deviation of those moves around zero. */
function healthySpread(runs: readonly (readonly [number, number])[], unit: number, log: boolean, offset: number): HistoryMoves | undefined {
  const moves: number[] = [];
  for (const [a, b] of runs) {
    // Each divided first: a difference (or a ratio) of two finite medians can pass the largest double.
    const [x, y] = [a / unit + (log ? offset : 0), b / unit + (log ? offset : 0)];
    const move = log ? (x > 0 && y > 0 ? Math.log(y) - Math.log(x) : Number.NaN) : y - x;
    if (Number.isFinite(move)) moves.push(move);
  }
  if (moves.length < MIN_HEALTHY_RUNS) return undefined;
  // Squared on moves divided by a power of two near the largest: a move past 1e154 squares past the largest double.
  const scale = unitOf(exponentRange(moves), 400);
  return { sd: scale * Math.sqrt(medianInPlace(Float64Array.from(moves, (d) => (d / scale) ** 2)) / CHI2_1_MEDIAN), runs: moves.length };
}

/**
 * The test's scale. Positive values: their logarithms. Values that touch zero but never go below
 * (requests counted per interval, an idle function's calls): a started logarithm, log(x + c) with c
 * the smallest positive value (one request, for counts: log(1 + count)). Their noise is still
 * multiplicative, and on a linear scale the spread of the busy samples swamped a fall to zero
 * (measured on real serverless traffic: docs/analysis.md); c as large as one count keeps the
 * Poisson noise of a handful of requests from swamping it the other way (of the falls from 3 to 0.6
 * requests an interval that the linear scale found, half a count lost 28%, one count 11%).
 * Anything with a negative value: the values themselves.
 *
 * Overflow: on a linear scale, squares of values past ~1e154 are infinite, and of values below
 * ~1e-154 zero, so the test runs on the values divided by a power of two that puts the largest of
 * them at 2^200 (scale.ts): any finite values get the verdict their size calls for. The logarithm has no such
 * limit; its unit only makes the test give the same answer, to the last bit, for a series and the
 * same series times any power of two.
 */
function scaleUnit(before: ArrayLike<number>, after: ArrayLike<number>): { unit: number; log: boolean; offset: number } {
  const { range, positive, nonNegative, smallest } = magnitudes(before, after);
  if (positive || (nonNegative && range)) {
    const unit = unitOf(range, 1023);
    const offset = positive ? 0 : smallest / unit;
    // An offset that vanishes below the smallest double (a range of 2^1074) leaves no logarithm of zero.
    if (positive || offset > 0) return { unit, log: true, offset };
  }
  // On a linear scale the values, once divided, stay below 2^200 (their squares, and sums of
  // thousands of them, stay finite) and no further below it than they must (squaringUnit).
  return { unit: squaringUnit(range, 200), log: false, offset: 0 };
}

/** How the values are put on the test's scale (scaleUnit). */
interface Scale {
  unit: number;
  log: boolean;
  offset: number;
}

/**
 * The values on the test's scale, in time order: divided by `unit`, then their (started) logarithms
 * when `log`. One pass, written once: `a` and `b` stay in time order through the test (the medians
 * select in a copy), so the drift check reads them again instead of taking every logarithm a second time.
 */
function onTestScale(values: ArrayLike<number>, { unit, log, offset }: Scale, out: Float64Array): Float64Array {
  // Dividing by a power of two is exact, and by 1 a no-op: the same numbers as dividing first, then taking logs.
  if (log) for (let i = 0; i < values.length; i++) out[i] = Math.log(values[i]! / unit + offset);
  else for (let i = 0; i < values.length; i++) out[i] = values[i]! / unit;
  return out;
}

/** The test on the values divided by `unit`, whose squares and logarithms are then safe to take. */
function scaledShiftTest(before: ArrayLike<number>, after: ArrayLike<number>, scale: Scale, badness: Badness, space: Space, options: Omit<ShiftOptions, 'history'> & { history?: HistoryMoves | undefined }): Omit<ShiftTest, 'unit' | 'offset'> {
  const n = before.length;
  const m = after.length;
  const { log, offset } = scale;
  const a = onTestScale(before, scale, space('a', n));
  const b = onTestScale(after, scale, space('b', m));

  // Residuals around each phase's own median, in time order (for the autocorrelation), kept in `r`.
  const r = space('r', n + m);
  const tied = unsteadyMedian(a, b, space);
  // Discrete levels are centred on their midmeans, a steady move included (the trend test reads it).
  const slope = options.detrendAfter && !tied ? (trendOf(b, (k) => space('m', k))?.slope ?? 0) : 0;
  const [ca, rawBefore] = centre(a, r, 0, 0, space, scale, before, tied);
  const [cb, rawAfter] = centre(b, r, n, slope, space, scale, after, tied);
  // Differences of a billionth (relative) are rounding, not noise or moves: a constant series scaled
  // by a power of two must not turn into a certain shift through the last bits of a logarithm.
  const epsilon = log ? 1e-9 : 1e-9 * Math.max(Math.abs(ca), Math.abs(cb));
  for (let i = 0; i < n + m; i++) if (Math.abs(r[i]!) <= epsilon) r[i] = 0;
  const preSpread = ownSpread(r.subarray(0, n), space);
  // An odd phase's median is one of its own samples, whose residual is exactly zero: left in, that
  // zero drags a small phase's spread down.
  // Around a midmean, no residual is the phase's own centre.
  const within = robustSpread(r, space, tied ? 0 : (n % 2) + (m % 2));
  const rho = within > 0 ? lag1([r.subarray(0, n), r.subarray(n, n + m)], 3 * within) : 0;
  // Residuals around a window's own centre miss the part of the variance the centre itself took up,
  // which dependence makes large: about f_n / n of it in a window of n (f the inflation below).
  const taken = (inflation(rho, n) + inflation(rho, m)) / (n + m);
  const spread = within / Math.sqrt(Math.max(0.1, 1 - taken));
  // A baseline clearly noisier than the pool (OWN_SPREAD_FROM times its spread) has its median's
  // noise read from its own spread (Welch): a baseline that jumped about is not placed by a quiet
  // POST (3 PRE samples from 0.11 to 0.36 and a steady POST at 0.25 gave p = 2e-8 with the spread
  // pooled). Short of that the pooled spread, which rests on every sample, is the better estimate (a
  // phase's own, from a handful of samples, cost power for nothing). POST keeps the pooled spread: a
  // POST that got noisier is itself a change, and the first few samples of an outage, judged on
  // their own spread, let it run 1-2 samples longer (bench/early.js).
  const sa = preSpread > OWN_SPREAD_FROM * within ? preSpread * (within > 0 ? spread / within : 1) : spread;
  const va = (sa * sa * medianFactor(n) * inflation(rho, n)) / n;
  const vb = (spread * spread * medianFactor(m) * inflation(rho, m)) / m;
  const noise = va + vb;
  // Real levels wander on their own (load, caches, neighbours): two windows side by side differ by
  // more than their noise even when nothing was deployed. That wander, read inside the phases, is
  // part of what a healthy PRE-to-POST difference looks like. Two readings of it, the larger kept:
  // the random walk's rate from adjacent blocks of both phases, carried over the span between the
  // two windows; and how far POST's own thirds disagree (a wander slower than the blocks).
  const span = (n + m) / 3 + (options.gap ?? 0);
  const wander = levelWander(r, n, m, spread, rho, span, space);
  const wanderVar = Math.max(wander.q * span, slope === 0 ? blockWander(r.subarray(n, n + m), within, rho, space) : 0);
  // Student's t: the noise part is estimated from the residuals (two centres taken from them; the
  // two phases' variances weighed by Satterthwaite's degrees of freedom, n + m - 2 when they agree),
  // the wander part from a handful of block differences; Satterthwaite's degrees of freedom again.
  const noiseDf = Math.max(2, Math.min(n + m - 2, satterthwaite([va, Math.max(1, n - 1)], [vb, Math.max(1, m - 1)]) ?? n + m - 2));
  const ownDf = wanderVar > 0 ? Math.max(2, satterthwaite([noise, noiseDf], [wanderVar, Math.max(THIRDS - 1, wander.pairs)]) ?? noiseDf) : noiseDf;
  // Earlier healthy runs are direct readings of how far a healthy PRE-to-POST move goes: pooled with
  // this window's own estimate, each weighted by its degrees of freedom (a run's move is one).
  const h = options.history;
  const se = h ? pooledSe(Math.sqrt(noise + wanderVar), ownDf, h) : Math.sqrt(noise + wanderVar);
  const df = h ? ownDf + h.runs : ownDf;

  const raw = cb - ca;
  const delta = Math.abs(raw) <= epsilon ? 0 : raw;
  const bad = inBadDirection(delta, badness);
  let pValue: number;
  if (se === 0) pValue = bad > 0 ? 0 : 1;
  else pValue = upperStudent(bad / se, df);
  if (badness === 'both') pValue = Math.min(1, 2 * pValue);

  // A trend PRE already had, and the step at the deploy beyond it: read only for a move large enough
  // to matter (it costs a trend and a filter over the series), from `a` and `b`, still in time order.
  let drift: ShiftTest['drift'];
  const from = options.driftFrom === undefined ? Number.POSITIVE_INFINITY : moveSize(options.driftFrom, badness, log, log ? rawBefore : ca, offset);
  if (n >= MIN_DRIFT_PRE && m > 0 && bad > 0 && bad >= from) {
    drift = driftBefore(a, b, badness, options.gap ?? 0, space);
    // A trend with a step at the deploy beyond it may still be a level that moved in PRE's last samples.
    if (!drift || drift.stepP <= DRIFT_ALPHA) drift = movedBefore(a, cb, spread, m, badness, from, space) ?? drift;
  }
  return { pValue, se, spread, preSpread, rho, df, log, medians: { before: rawBefore, after: rawAfter }, ...(drift ? { drift } : {}) };
}

/**
 * The window's own standard error and the healthy runs' spread, pooled by their degrees of freedom,
 * in shares of the larger of the two: the runs' moves are not bounded by this window's values (runs
 * at 1e160 next to a window at 1), and their square passed the largest double (se Infinity, and a
 * confidence of NaN from it).
 */
function pooledSe(own: number, ownDf: number, h: HistoryMoves): number {
  const s = Math.max(own, h.sd);
  if (!(s > 0)) return 0;
  return s * Math.sqrt((ownDf * (own / s) ** 2 + h.runs * (h.sd / s) ** 2) / (ownDf + h.runs));
}

/**
 * Power of the test against a move of `size` on its scale (e.g. log(1.5) for +50% on a log scale)
 * at level alpha: how likely a real move of that size would be found. Normal approximation.
 */
export function powerAt(test: Pick<ShiftTest, 'se'>, size: number, alpha: number): number {
  if (test.se === 0) return 1;
  return upperNormal(normalQuantileUpper(alpha) - Math.abs(size) / test.se);
}

function copyOf(values: Float64Array, space: Space): Float64Array {
  const out = space('m', values.length);
  out.set(values);
  return out;
}

/** Samples per phase from which a median that ties can make jump is replaced by a midmean. */
const MIN_MIDMEAN = 6;
/** Share of the pooled samples one value must hold (more than) for its ties to make a median jump. */
const TIED_SHARE = 1 / 3;
/** Share the next level must hold at least, on the side of the block the median sits at. */
const NEXT_SHARE = 1 / 6;
/** Distinct values the pooled samples take at most for a lattice too coarse for a median (small counts an interval). */
const COARSE_LEVELS = 8;

/**
 * Whether the phases' medians would jump between values for no reason: discrete values (a handful
 * of requests an interval, a CPU that reads 0.066 or 0.134 and nothing between) where one value
 * holds more than a third of the samples and the pooled median sits at the edge of its block, within
 * about one standard error of a phase's share (0.5 / sqrt of the smaller phase) of the next value;
 * or values on a lattice of at most COARSE_LEVELS levels (0 to 7 requests an interval), where every
 * median moves by a whole step. Such a median moves by +100% or -100% on a coin's fall: a CPU
 * alternating between two levels was flagged in a fifth of its healthy windows, requests at 0.5 an
 * interval rolled back in 5.5%, at 3 an interval in 2.5% (docs/analysis.md). Values that mostly sit
 * on one level, well inside its block, keep their steady median (an idle function's zeros).
 */
function unsteadyMedian(a: Float64Array, b: Float64Array, space: Space): boolean {
  const n = a.length;
  const m = b.length;
  if (n < MIN_MIDMEAN || m < MIN_MIDMEAN || !(repeats(a) || repeats(b))) return false;
  const pooled = space('m', n + m);
  pooled.set(a);
  pooled.set(b, n);
  const N = n + m;
  // Read only where values repeat (above): a lattice walked level after level without a repeat in
  // three samples (a sawtooth) keeps its medians.
  const coarse = fewLevels(pooled, COARSE_LEVELS);
  const [lo, hi] = middlesInPlace(pooled);
  const within = 0.5 / Math.sqrt(Math.min(n, m));
  for (const level of lo === hi ? [hi] : [lo, hi]) {
    let below = 0;
    let equal = 0;
    let up = Number.POSITIVE_INFINITY;
    let down = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < N; i++) {
      const v = pooled[i]!;
      if (v < level) {
        below++;
        down = Math.max(down, v);
      } else if (v === level) equal++;
      else up = Math.min(up, v);
    }
    const [from, to] = [below / N, (below + equal) / N];
    const block = to - from > TIED_SHARE;
    const [nearTop, nearBottom] = [to - 0.5 < within, 0.5 - from < within];
    // On a coarse lattice every median moves by a whole step, unless one level holds it deep inside its block.
    if (coarse && !(block && !nearTop && !nearBottom)) return true;
    if (!block) continue;
    // The level next to the edge the pooled median sits at must be well held too: a median that
    // jumps between two levels, not from a block to a scatter of values (bursts of 50 to 500
    // requests after idle intervals, whose middle half says little of their volume).
    let [upCount, downCount] = [0, 0];
    for (let i = 0; i < N; i++) {
      if (pooled[i] === up) upCount++;
      else if (pooled[i] === down) downCount++;
    }
    if ((nearTop && upCount >= NEXT_SHARE * N) || (nearBottom && downCount >= NEXT_SHARE * N)) return true;
  }
  return false;
}

/** Whether `values` take at most `most` distinct values (read without sorting or allocating past `most`). */
function fewLevels(values: Float64Array, most: number): boolean {
  const seen: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (seen.includes(v)) continue;
    if (seen.length === most) return false;
    seen.push(v);
  }
  return true;
}

/**
 * Whether a value comes back within three samples in a phase: cheap, and true wherever more than a
 * third of a phase's samples share one value (spaced four or more apart, at most (n + 3) / 4 of
 * them fit). Continuous values never repeat, and skip the pooled count.
 */
function repeats(values: Float64Array): boolean {
  for (let i = 1; i < values.length; i++) {
    const v = values[i];
    if (v === values[i - 1] || (i >= 2 && v === values[i - 2]) || (i >= 3 && v === values[i - 3])) return true;
  }
  return false;
}

/**
 * The phase's median (its midmean, the mean of its middle half, when `midmean`: see unsteadyMedian),
 * on the test's scale and on the values' own (divided by the unit); its residuals (around that
 * centre, or around a line of this slope) are written to r[offset..]. `values` (on the test's
 * scale) and `raw` (the phase's own values) are left in time order.
 */
function centre(values: Float64Array, r: Float64Array, offset: number, slope: number, space: Space, scale: Scale, raw: ArrayLike<number>, midmean = false): [number, number] {
  if (values.length === 0) return [Number.NaN, Number.NaN];
  const log = scale.log;
  const n = values.length;
  if (midmean) return midmeanCentre(values, r, offset, space, scale, raw);
  for (let i = 0; i < n; i++) r[offset + i] = values[i]! - slope * i;
  const line = slope === 0 ? 0 : medianInPlace(copyOf(r.subarray(offset, offset + n), space));
  // The two middle values give the median on both scales (the log is monotonic) from one selection,
  // made on the values themselves (divided by the unit) where the scale is a logarithm: the median
  // on the values' own scale is then theirs exactly, and their logarithms (as onTestScale takes
  // them) are the middles of `values`. Taken back through exp(log(x)), the median was off in its
  // last bits, and one at the largest double came back as Infinity.
  const [lo, hi] = middlesInPlace(log ? ownScale(raw, scale, space) : copyOf(values, space));
  const [tlo, thi] = log ? [Math.log(lo + scale.offset), Math.log(hi + scale.offset)] : [lo, hi];
  const c = tlo === thi ? thi : thi / 2 + tlo / 2;
  const level = slope === 0 ? c : line;
  for (let i = 0; i < n; i++) r[offset + i] = r[offset + i]! - level;
  return [c, lo === hi ? hi : hi / 2 + lo / 2];
}

/** The values divided by the unit, in a work copy the caller may reorder. */
function ownScale(raw: ArrayLike<number>, { unit }: Scale, space: Space): Float64Array {
  const out = space('m', raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw[i]! / unit;
  return out;
}

/**
 * The mean of the middle half of the values (a quarter set aside at each end: spikes stay out of
 * it), on the test's scale and on the values' own; residuals around it written to r[offset..].
 * The logarithm keeps the order, so the same samples make the middle half on both scales.
 */
function midmeanCentre(values: Float64Array, r: Float64Array, offset: number, space: Space, scale: Scale, raw: ArrayLike<number>): [number, number] {
  const n = values.length;
  const order = copyOf(values, space).sort();
  const from = Math.floor(n / 4);
  const c = middleMean(order, from);
  for (let i = 0; i < n; i++) r[offset + i] = values[i]! - c;
  if (!scale.log) return [c, c];
  for (let i = 0; i < n; i++) order[i] = raw[i]! / scale.unit;
  return [c, middleMean(order.sort(), from)];
}

/**
 * The mean of sorted[from..length - from), as its smallest value plus the mean excess over it: a
 * level held by every sample comes back exactly, and no sum passes the largest double (values near
 * it on the values' own scale).
 */
function middleMean(sorted: Float64Array, from: number): number {
  const k = sorted.length - 2 * from;
  const base = sorted[from]!;
  let excess = 0;
  for (let i = from; i < sorted.length - from; i++) excess += (sorted[i]! - base) / k;
  return base + excess;
}

/**
 * Robust standard deviation of one sample from the residuals: MAD, or mean absolute deviation where
 * more than half are zero. `medians`: zero residuals that are a phase's median itself, left out.
 */
function robustSpread(r: Float64Array, space: Space, medians = 0): number {
  // Past a few thousand residuals an evenly spaced subset gives the same MAD to a fraction of a
  // percent, and keeps a long window's verdict cheap.
  const step = r.length > MAX_SPREAD_SAMPLE ? r.length / MAX_SPREAD_SAMPLE : 1;
  const count = step === 1 ? r.length : MAX_SPREAD_SAMPLE;
  const abs = space('m', count);
  let k = 0;
  let skip = step === 1 ? medians : 0;
  for (let j = 0; j < count; j++) {
    const v = Math.abs(r[step === 1 ? j : Math.floor(j * step)]!);
    if (v === 0 && skip > 0 && r.length - medians > 0) {
      skip--;
      continue;
    }
    abs[k++] = v;
  }
  return sdFromAbsDeviations(abs.subarray(0, k));
}

/** Residuals the spread is measured on at most. */
const MAX_SPREAD_SAMPLE = 4096;

/**
 * Satterthwaite's degrees of freedom for a sum of variance estimates, each [variance, its degrees of
 * freedom]; undefined when they sum to nothing. In shares of the sum: squares of variances of
 * 1e-162 (a relative noise of 1e-81) would vanish to 0 / 0.
 */
function satterthwaite(...parts: [number, number][]): number | undefined {
  let total = 0;
  for (const [v] of parts) total += v;
  if (!(total > 0)) return undefined;
  let den = 0;
  for (const [v, df] of parts) den += (v / total) ** 2 / df;
  return 1 / den;
}

/** How many times the pooled spread PRE's own must be before its median is given its own noise. */
const OWN_SPREAD_FROM = 3;

/** Samples per block when the level's wander is read from adjacent blocks. */
const BLOCK = 4;

/**
 * The level's wander as a random walk: its variance q per sample, from the differences between
 * blocks' medians inside each phase beyond what their noise gives. A step at the deploy is between
 * the phases, never inside one, so it cannot pass for wander. `pairs`: the adjacent block
 * differences it rests on.
 *
 * A random walk moves two blocks k apart further apart the larger k is, by (kB - B/3) q on average
 * (2B/3 q for adjacent ones); a burst that comes and goes moves a block away from its neighbours on
 * both sides and nowhere further. The rate read from adjacent blocks is kept only as far as blocks
 * up to `span` samples apart (the span the wander is carried over) bear it out: two minutes of a
 * web server's steady POST at a third of its level had made its traffic's fall from 128 to 48
 * requests a minute "too noisy to be sure" (p = 0.07, now 0.025), as if that dip were how far the
 * level walks every four samples.
 */
function levelWander(r: Float64Array, n: number, m: number, spread: number, rho: number, span: number, space: Space): { q: number; pairs: number } {
  const blockNoise = (2 * spread * spread * medianFactor(BLOCK) * inflation(rho, BLOCK)) / BLOCK;
  const lags = Math.max(1, Math.min(MAX_WANDER_LAGS, Math.floor(span / BLOCK)));
  const blocksA = Math.floor(n / BLOCK);
  const blocksB = Math.floor(m / BLOCK);
  // Each block's median once: a long window has thousands of blocks, each read at every lag.
  const levels = space('m', blocksA + blocksB);
  for (let j = 0; j < blocksA; j++) levels[j] = medianOfFour(r, j * BLOCK);
  for (let j = 0; j < blocksB; j++) levels[blocksA + j] = medianOfFour(r, n + j * BLOCK);
  let adjacentSum = 0;
  let adjacent = 0;
  // Over every lag: the squared differences beyond the noise, and what a random walk would give them per unit of q.
  let excess = 0;
  let units = 0;
  for (const [from, count] of [
    [0, blocksA],
    [blocksA, blocksB],
  ] as const) {
    for (let k = 1; k <= lags && k < count; k++) {
      // Past the first lag an evenly spaced subset of a long window's pairs reads the same rate.
      const stride = k === 1 ? 1 : Math.max(1, Math.floor((count - k) / MAX_LAG_PAIRS));
      let sum = 0;
      let pairs = 0;
      for (let j = from + k; j < from + count; j += stride) {
        sum += (levels[j]! - levels[j - k]!) ** 2;
        pairs++;
      }
      excess += sum - pairs * blockNoise;
      units += pairs * (k * BLOCK - BLOCK / 3);
      if (k === 1) {
        adjacentSum += sum;
        adjacent += pairs;
      }
    }
  }
  if (adjacent === 0) return { q: 0, pairs: 0 };
  // Only what stands out from the noise by about one standard error of a variance read from this many
  // differences counts: on a level that does not wander, a few pairs would otherwise always find some.
  const adjacentExcess = adjacentSum / adjacent - blockNoise * (1 + Math.sqrt(2 / adjacent));
  const fromAdjacent = Math.max(0, (adjacentExcess * 3) / (2 * BLOCK));
  return { q: Math.min(fromAdjacent, Math.max(0, excess / units)), pairs: adjacent };
}

/** Block lags the wander is read at, at most: enough for a default window's span, bounded for a long one. */
const MAX_WANDER_LAGS = 8;
/** Block pairs read at each lag past the first, at most. */
const MAX_LAG_PAIRS = 256;

/**
 * The median of r[at..at+4): the mean of the two middle values, which is the sum less the smallest
 * and the largest, halved. No copy: a long window has thousands of blocks.
 */
function medianOfFour(r: Float64Array, at: number): number {
  const a = r[at]!;
  const b = r[at + 1]!;
  const c = r[at + 2]!;
  const d = r[at + 3]!;
  return (a + b + c + d - Math.min(a, b, c, d) - Math.max(a, b, c, d)) / 2;
}

/** Blocks POST is cut into for the slower wander, and the samples each needs at least. */
const THIRDS = 3;
const MIN_THIRD = 6;

/**
 * Variance of the medians of POST's thirds beyond what their within-block noise gives: a wander too
 * slow for adjacent short blocks to show (0 when the window is too short to cut, or they agree).
 */
function blockWander(residuals: Float64Array, spread: number, rho: number, space: Space): number {
  const len = Math.floor(residuals.length / THIRDS);
  if (len < MIN_THIRD) return 0;
  const levels: number[] = [];
  for (let k = 0; k < THIRDS; k++) {
    const block = space('m', len);
    block.set(residuals.subarray(k * len, (k + 1) * len));
    levels.push(medianInPlace(block));
  }
  const mean = levels.reduce((a, b) => a + b, 0) / THIRDS;
  const between = levels.reduce((a, v) => a + (v - mean) ** 2, 0) / (THIRDS - 1);
  const within = (spread * spread * medianFactor(len) * inflation(rho, len)) / len;
  return Math.max(0, between - within);
}

/**
 * A relative move (0.3 for 30%) from `centre` (PRE's, in the test's units) on the test's scale: a
 * logarithm, the move of a started logarithm (`offset`), or a share of `centre` on a linear scale.
 */
export function moveSize(fraction: number, badness: Badness, log: boolean, centre: number, offset = 0): number {
  if (!log) return fraction * Math.abs(centre);
  if (offset > 0) {
    const to = badness === 'decrease' ? centre * (1 - Math.min(1, fraction)) : centre * (1 + fraction);
    return Math.abs(Math.log(to + offset) - Math.log(centre + offset));
  }
  return badness === 'decrease' ? (fraction >= 1 ? Number.POSITIVE_INFINITY : -Math.log1p(-fraction)) : Math.log1p(fraction);
}

/** A change as a move in the bad direction (either way for `both`). */
export function inBadDirection(change: number, badness: Badness): number {
  return badness === 'increase' ? change : badness === 'decrease' ? -change : Math.abs(change);
}

/** PRE samples needed before its own trend is read. */
const MIN_DRIFT_PRE = 6;
/** Significance of PRE's own trend for it to count as a drift already under way. */
const DRIFT_ALPHA = 0.05;

function driftBefore(a: Float64Array, b: Float64Array, badness: Badness, gap: number, space: Space): ShiftTest['drift'] {
  const t = trendOf(a, (k) => space('m', k));
  if (!t) return undefined;
  const preTrendP = trendPValue(t, badness);
  if (preTrendP >= DRIFT_ALPHA) return undefined;
  const step = stepAtDeploy(a, b, gap);
  if (!step || step.se === 0) return undefined;
  const bad = inBadDirection(step.delta, badness);
  return { preTrendP, stepP: upperStudent(bad / step.se, Math.max(2, a.length + b.length - 3)) };
}

/** PRE's last samples looked at for a level that had already moved before the deploy: 2 up to this many (at most a third of PRE). */
const LATE_PRE = 3;
/** How many of the earlier PRE samples' own spreads each of the last ones must stand from their level. */
const LATE_SPREADS = 3;

/**
 * A level that moved in PRE's last samples, and stayed there: traffic that fell 10 minutes before
 * the deploy, a latency that stepped up with the previous release. A trend test does not see it
 * (two samples at the end barely tilt a robust line), nor the local-level model (its variances are
 * read robustly from the differences, where one jump is an outlier). When each of PRE's last k
 * samples (2 to LATE_PRE) stands past `size` and LATE_SPREADS of the earlier samples' spreads from
 * their median, the bad way, and POST's median is no significant step (at DRIFT_ALPHA) beyond the
 * level of those last samples, the move was already there before the deploy: a drift, with
 * preTrendP the last samples' move against the earlier ones, stepP the step at the deploy, and
 * lastSamples how many they were.
 * `a`: PRE on the test's scale, in time order; `cb`: POST's median; `spread`: one sample's noise.
 */
function movedBefore(a: Float64Array, cb: number, spread: number, m: number, badness: Badness, size: number, space: Space): ShiftTest['drift'] {
  const n = a.length;
  for (let k = 2; k <= Math.min(LATE_PRE, Math.floor(n / 3)); k++) {
    const early = copyOf(a.subarray(0, n - k), space);
    const level = medianInPlace(early);
    // Past anything the earlier samples showed, too (`edge`): a robust spread takes a baseline's recurring dips for outliers.
    let edge = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n - k; i++) {
      early[i] = Math.abs(a[i]! - level);
      edge = Math.max(edge, inBadDirection(a[i]! - level, badness));
    }
    const earlySpread = sdFromAbsDeviations(early);
    let moved = true;
    for (let i = n - k; i < n && moved; i++) moved = inBadDirection(a[i]! - level, badness) >= Math.max(size, LATE_SPREADS * earlySpread, edge);
    if (!moved) continue;
    const late = medianInPlace(copyOf(a.subarray(n - k), space));
    const df = Math.max(2, n + m - 3);
    const lateSe = earlySpread * Math.sqrt(medianFactor(k) / k + medianFactor(n - k) / (n - k));
    const preTrendP = lateSe > 0 ? upperStudent(inBadDirection(late - level, badness) / lateSe, df) : 0;
    // No allowance for dependence or wander here: the step is measured strictly, so a real step at the deploy keeps its weight.
    const step = inBadDirection(cb - late, badness);
    const stepSe = spread * Math.sqrt(medianFactor(k) / k + medianFactor(m) / m);
    const stepP = stepSe > 0 ? upperStudent(step / stepSe, df) : step > 0 ? 0 : 1;
    if (stepP > DRIFT_ALPHA) return { preTrendP, stepP, lastSamples: k };
  }
  return undefined;
}

/** Mean range of n normal samples in standard deviations (d2), for the spread of a handful of values. */
const D2 = [0, 0, 1.128, 1.693, 2.059, 2.326];

/** Robust standard deviation of one phase's own residuals: from the range for up to 5 values, from the MAD beyond. */
function ownSpread(r: Float64Array, space: Space): number {
  const n = r.length;
  if (n < 2) return 0;
  if (n < D2.length) {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      lo = Math.min(lo, r[i]!);
      hi = Math.max(hi, r[i]!);
    }
    return (hi - lo) / D2[n]!;
  }
  return robustSpread(r, space, n % 2);
}

/** Variance of a median of n samples in units of sigma^2/n: the mean for 1 or 2 values, pi/2 asymptotically. */
function medianFactor(n: number): number {
  return n <= 2 ? 1 : Math.PI / 2;
}
