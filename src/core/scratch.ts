/**
 * What one analysis, or a caller judging again and again (the live view, after every tick), can
 * reuse from one metric to the next instead of allocating it anew.
 *
 * - Work arrays: the judge copies each metric's series before reordering it (medians by selection)
 *   and takes evenly spaced subsets for the test. With fresh arrays each time, 200 metrics x 10,000
 *   samples made some 70 MB of short-lived typed arrays per verdict, enough to set off a full
 *   garbage collection of the whole heap in the middle of the analysis (see bench/README.md).
 * - Tables that depend only on their key: the exact rank-sum distribution for given sample sizes,
 *   the same for every metric of a phase, cost ~0.1 ms each to build (most of the live view).
 *
 * A Scratch is never used by two analyses at once and is not shared between callers, so the
 * judge stays pure: its results never depend on what a Scratch held before.
 */
export type Slot = 'before' | 'before_volume' | 'after' | 'after_volume' | 'skipped' | 'skipped_volume' | 'test_a' | 'test_b' | 'test_r' | 'median';

/** Tables kept at most; past it the oldest go (a long window's live view meets few sizes, but they change). */
const MAX_TABLES = 64;

export class Scratch {
  private readonly arrays = new Map<Slot, Float64Array>();
  private readonly tables = new Map<string, Float64Array>();

  /** `n` values of work space; what the slot held before is overwritten. */
  take(slot: Slot, n: number): Float64Array {
    let array = this.arrays.get(slot);
    if (!array || array.length < n) {
      array = new Float64Array(n);
      this.arrays.set(slot, array);
    }
    return array.subarray(0, n);
  }

  /** The table for `key`, computed once. Callers must not modify it. */
  memo(key: string, compute: () => Float64Array): Float64Array {
    let table = this.tables.get(key);
    if (!table) {
      table = compute();
      if (this.tables.size >= MAX_TABLES) this.tables.delete(this.tables.keys().next().value!);
      this.tables.set(key, table);
    }
    return table;
  }
}
