/**
 * Holm's step-down correction: with many metrics judged at once, a healthy deploy has many chances
 * for one of them to look significant by luck; Holm keeps the chance of any false finding across
 * all of them at alpha, without assuming the metrics are independent. Pure.
 */

/** Holm-adjusted p-values, in the input's order (null stays null and is not counted as a test). */
export function holmAdjusted(pValues: readonly (number | null)[]): (number | null)[] {
  const tested = pValues.map((p, i) => ({ p, i })).filter((t): t is { p: number; i: number } => t.p !== null);
  tested.sort((a, b) => a.p - b.p);
  const out: (number | null)[] = pValues.map(() => null);
  const k = tested.length;
  let running = 0;
  tested.forEach(({ p, i }, rank) => {
    running = Math.max(running, Math.min(1, (k - rank) * p));
    out[i] = running;
  });
  return out;
}
