/**
 * Powers of two that bring numbers into a range where the statistics' sums and squares neither
 * overflow nor underflow: a standard deviation of values near 1e200 squares them past the largest
 * double, one of values near 1e-200 squares them to zero. Dividing by a power of two is exact
 * (short of the subnormal range), so a statistic taken on the scaled values, and scaled back, is
 * the one the values themselves call for, whatever their magnitude; and a series multiplied by
 * any power of two scales to the very same numbers, so it gets the very same verdict. Pure.
 */

const bits = new DataView(new ArrayBuffer(8));

/** e with 2^e <= |x| < 2^(e+1), for a finite x other than 0 (subnormals included). */
export function binaryExponent(x: number): number {
  bits.setFloat64(0, x);
  const biased = (bits.getUint16(0) & 0x7ff0) >> 4;
  // A subnormal has no exponent of its own: scaled into the normal range first, exactly.
  if (biased === 0) return binaryExponent(x * 2 ** 64) - 64;
  return biased - 1023;
}

/** The exponents of the smallest and largest non-zero |value| (undefined when every value is 0). */
export function exponentRange(...series: ArrayLike<number>[]): { min: number; max: number } | undefined {
  return magnitudes(...series).range;
}

/**
 * exponentRange, whether every value is positive (NaN is not) or at least not negative, and the
 * smallest non-zero |value|, from one pass over the values: the shift test needs them all of series
 * of thousands of values.
 */
export function magnitudes(...series: ArrayLike<number>[]): { range: { min: number; max: number } | undefined; positive: boolean; nonNegative: boolean; smallest: number } {
  let lo = Number.POSITIVE_INFINITY;
  let hi = 0;
  let positive = true;
  let nonNegative = true;
  for (const values of series) {
    for (let i = 0; i < values.length; i++) {
      const x = values[i]!;
      if (!(x > 0)) {
        positive = false;
        if (!(x >= 0)) nonNegative = false;
      }
      const v = Math.abs(x);
      if (v === 0) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return { range: hi === 0 ? undefined : { min: binaryExponent(lo), max: binaryExponent(hi) }, positive, nonNegative, smallest: lo };
}

/**
 * The power of two to divide a series by: the one at its largest |value| (which then falls in
 * [1, 2)), unless that would push its smallest non-zero value below the normal range (its bits
 * lost), in which case the largest is allowed up to 2^headroom. 1 when every value is 0. The
 * same series times 2^k gets a unit 2^k times as large, so both scale to the same numbers.
 */
export function unitOf(range: { min: number; max: number } | undefined, headroom: number): number {
  if (!range) return 1;
  return 2 ** Math.max(range.max - headroom, Math.min(range.max, range.min + MIN_NORMAL_EXPONENT_GAP));
}

/**
 * For a statistic that squares the values' deviations (a linear scale): the power of two that puts
 * the largest |value| at 2^headroom, never one outside the normal range (1 when every value is 0).
 * The values' squares then stay finite, and the small values' squares stay clear of zero as far as
 * that allows: divided by the largest itself (unitOf), values around 1 next to one of 1e162 were
 * put near 1e-162, the squares of their deviations were 0, the noise was 0, and any move of their
 * median was certain (p = 0).
 */
export function squaringUnit(range: { min: number; max: number } | undefined, headroom: number): number {
  if (!range) return 1;
  return 2 ** Math.min(MAX_EXPONENT, Math.max(MIN_NORMAL_EXPONENT, range.max - headroom));
}

const MAX_EXPONENT = 1023;
const MIN_NORMAL_EXPONENT = -1022;

/** 2^-1022 is the smallest normal double: a value 2^1022 below the unit keeps all its bits. */
const MIN_NORMAL_EXPONENT_GAP = 1022;

/**
 * A power of four (its square root is a power of two, exactly) that brings a sum of `terms`
 * counts, each up to `largest`, below 2^SAFE_EXPONENT; 1 when it is there already.
 */
export function countUnit(largest: number, terms: number): number {
  if (!(largest > 0)) return 1;
  const excess = binaryExponent(largest) + Math.ceil(Math.log2(Math.max(1, terms))) + 1 - SAFE_EXPONENT;
  return excess > 0 ? 2 ** (2 * Math.ceil(excess / 2)) : 1;
}

/** Counts are kept below 2^SAFE_EXPONENT: products of two of them stay finite with room to spare. */
const SAFE_EXPONENT = 500;
