/** Small robust statistics used by the analysis. Pure. */

/** Finite numbers only: NaN, Infinity, strings, booleans and null are not measurements. */
export function isMeasurement(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/**
 * Median of values[start..end) by quickselect: linear time, no full sort (long windows hold many
 * thousands of samples). `space`, when given, is reused as the work copy instead of a new array.
 */
export function median(values: ArrayLike<number>, start = 0, end = values.length, space?: (n: number) => Float64Array): number {
  const n = end - start;
  if (n <= 0) return Number.NaN;
  const work = space ? space(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) work[i] = values[start + i]!;
  return medianInPlace(work);
}

/** Median that reorders `work` instead of copying it: for scratch arrays the caller no longer needs in order. */
export function medianInPlace(work: Float64Array): number {
  const [lo, hi] = middlesInPlace(work);
  // Halves first: the mean of two values near the largest doubles must not overflow.
  return lo === hi ? hi : hi / 2 + lo / 2;
}

/**
 * The two middle values (the same one twice for an odd count), reordering `work`: the median of any
 * monotonic transform of the values follows from them without a second selection.
 */
export function middlesInPlace(work: Float64Array): [number, number] {
  const n = work.length;
  if (n === 0) return [Number.NaN, Number.NaN];
  const hi = select(work, n >> 1);
  return [n % 2 === 1 ? hi : maxBelow(work, n >> 1), hi];
}

/** k-th smallest (0-based), partially reordering `a` (Hoare's selection). */
function select(a: Float64Array, k: number): number {
  let left = 0;
  let right = a.length - 1;
  while (left < right) {
    const pivot = a[(left + right) >> 1]!;
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return a[k]!;
  }
  return a[k]!;
}

/** After select(a, k): the largest value among a[0..k-1]. */
function maxBelow(a: Float64Array, k: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < k; i++) if (a[i]! > max) max = a[i]!;
  return max;
}

/** Numeric ascending copy. Typed-array sort is numeric and native: many times faster than a comparator on long series. */
export function sortedCopy(values: ArrayLike<number>): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i]!;
  return out.sort();
}


/** Mean, summed in shares so that values near the largest doubles do not overflow. */
export function mean(values: ArrayLike<number>): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]! / values.length;
  return sum;
}

/**
 * Rounds to a number of significant digits, for display and for stable JSON. Near the largest
 * double, rounding up would overflow (1.7976931348623157e308 -> 1.798e308 = Infinity): a finite
 * value stays finite, as it was.
 */
export function roundSig(value: number, digits = 4): number {
  if (value === 0 || !Number.isFinite(value)) return value;
  const rounded = Number(value.toPrecision(digits));
  return Number.isFinite(rounded) ? rounded : value;
}

/** MAD to standard deviation for a normal distribution. */
export const MAD_TO_SD = 1.4826;
/** Mean absolute deviation to standard deviation for a normal distribution (sqrt(pi/2)). */
export const MEAN_AD_TO_SD = 1.2533;

/**
 * Robust standard deviation from absolute deviations: their median (MAD), or their mean where more
 * than half are zero. Reorders `abs`.
 */
export function sdFromAbsDeviations(abs: Float64Array): number {
  if (abs.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < abs.length; i++) sum += abs[i]!;
  const mad = MAD_TO_SD * medianInPlace(abs);
  return mad > 0 ? mad : (MEAN_AD_TO_SD * sum) / abs.length;
}

export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
