/**
 * Samples of one phase held column by column: one typed array per metric. The judge reads a
 * metric's values many times (the series, the test, the trend, the early-exit checks), and reading
 * them out of thousands of snapshot objects of a few hundred keys each costs more than all the
 * statistics together; a column is read at memory speed. Snapshots are turned into columns once,
 * or column by column as they arrive (`append`, for the early decision during the window). Pure.
 */
import type { MetricSnapshot, Rules } from './types.js';
import type { Counted } from './stats/binomial.js';

/**
 * A share the samples do not report, read from two counters instead: an app may report only
 * `errors_total` and `requests_total` (SPEC §4), and its error rate must still be judged.
 */
export interface DerivedShare {
  name: string;
  events: string;
  requests: string;
}

/**
 * A rate per second the samples do not report, read from a monotonic counter instead: an app may
 * count its requests (`requests_total`) and not report `requests_per_sec`, and losing its traffic
 * must still be seen. The seconds between two samples come from their timestamps.
 */
export interface DerivedRate {
  name: string;
  counter: string;
}

export type Derived = DerivedShare | DerivedRate;

/** What a sample held for a metric. */
export const ABSENT = 0;
export const NUMBER = 1;
/** Reported, but not a finite number (NaN, Infinity, a string, null...). */
export const INVALID = 2;

/** Snapshots converted per block in `PhaseColumns.from`. */
const BLOCK = 256;

/** Samples within which a counter that went down must be back past where it was for that to be a bounce (PhaseColumns.bounces). */
const BOUNCE_SAMPLES = 3;
/**
 * Bounces (over both phases) from which a counter is not taken for one process's: a restart with a
 * quick recovery happens (a young process among several behind the endpoints restarting), twice not.
 */
const UNTRUSTED_BOUNCES = 2;

export interface MetricColumn {
  /** The value where `state` is NUMBER; NaN elsewhere. */
  values: Float64Array;
  state: Uint8Array;
}

export class PhaseColumns {
  private readonly cols = new Map<string, MetricColumn>();
  // The same columns in arrays too: `append` runs once per metric per sample, and arrays walk faster than a Map.
  private readonly names: string[] = [];
  private list: MetricColumn[] = [];
  private size = 0;
  private capacity: number;
  private readonly shares: readonly DerivedShare[];
  private readonly rates: readonly DerivedRate[];
  /** Each sample's time (epoch ms, NaN when unknown), kept only for the rates derived from counters. */
  private times: Float64Array;
  /** The rates some of whose values were read from a counter, and that counter. */
  private readonly counted = new Map<string, string>();
  /** Seconds taken between two samples that both lack a time (a sample file without timestamps); NaN: none, such pairs give no rate. */
  private readonly untimedSeconds: number;
  /** Whether a rate was read over `untimedSeconds`, not over the samples' own times. */
  private untimedUsed = false;
  /** Per share: the samples whose event counter grew more than their request counter (the app's counters disagree). */
  private readonly disagreed = new Map<string, number>();
  /** Per rate read from a counter: the seconds each derived value was counted over (NaN where the sample reported the rate itself). */
  private readonly rateSeconds = new Map<string, Float64Array>();
  /** Per share or rate that counters can stand in for: the counters it is read from. */
  private readonly sources = new Map<string, readonly string[]>();
  /** Per share or rate that counters can stand in for: 1 where its value was read from them (the sample did not report it). */
  private readonly derivedAt = new Map<string, Uint8Array>();

  /**
   * `names`: the metrics to keep (the rules' metrics and their volume metrics); others are dropped.
   * `derived`: shares and rates filled in from their counters where a sample does not report them.
   * `untimedMs`: the time between two samples neither of which has a timestamp (the run's interval).
   */
  constructor(names: Iterable<string>, capacity = 16, derived: readonly Derived[] = [], untimedMs = Number.NaN) {
    this.capacity = capacity;
    this.untimedSeconds = untimedMs / 1000;
    for (const name of names) this.cols.set(name, { values: new Float64Array(capacity), state: new Uint8Array(capacity) });
    this.shares = derived.filter((d): d is DerivedShare => 'events' in d && this.cols.has(d.name) && this.cols.has(d.events) && this.cols.has(d.requests));
    this.rates = derived.filter((d): d is DerivedRate => 'counter' in d && this.cols.has(d.name) && this.cols.has(d.counter));
    this.times = new Float64Array(this.rates.length > 0 ? capacity : 0);
    for (const d of this.rates) this.rateSeconds.set(d.name, new Float64Array(capacity).fill(Number.NaN));
    for (const d of [...this.shares, ...this.rates]) {
      this.sources.set(d.name, [...(this.sources.get(d.name) ?? []), ...('counter' in d ? [d.counter] : [d.events, d.requests])]);
      this.derivedAt.set(d.name, new Uint8Array(capacity));
    }
    this.index();
  }

  static from(snapshots: readonly MetricSnapshot[], names: Iterable<string>, derived: readonly Derived[] = [], untimedMs?: number): PhaseColumns {
    const columns = new PhaseColumns(names, Math.max(1, snapshots.length), derived, untimedMs);
    fill(columns.list, columns.names, snapshots);
    if (columns.rates.length > 0) for (let i = 0; i < snapshots.length; i++) columns.times[i] = timeOf(snapshots[i]!);
    columns.size = snapshots.length;
    columns.derive(1, columns.size);
    return columns;
  }

  get length(): number {
    return this.size;
  }

  has(name: string): boolean {
    return this.cols.has(name);
  }

  /** Adds one sample at the end (amortised constant time per metric). */
  append(snapshot: MetricSnapshot): void {
    const i = this.size;
    if (i === this.capacity) this.grow();
    const metrics = snapshot.metrics;
    for (let k = 0; k < this.names.length; k++) {
      const name = this.names[k]!;
      const col = this.list[k]!;
      store(metrics, name, col.values, col.state, i);
    }
    if (this.rates.length > 0) this.times[i] = timeOf(snapshot);
    this.size = i + 1;
    this.derive(i, i + 1);
  }

  /** The counter some of this metric's values were read from (a rate the samples did not report), if any. */
  counterOf(name: string): string | undefined {
    return this.counted.get(name);
  }

  /** Samples where this share's event counter grew more than its request counter: no share could be read from them. */
  counterDisagreements(name: string): number {
    return this.disagreed.get(name) ?? 0;
  }

  /**
   * What the counter counted over samples [from, to) of a rate read from it, exposed over the seconds
   * between them: when every usable value there was read from the counter (none reported by the
   * sample itself, which may be a rolling figure) and every delta is whole. Undefined otherwise.
   */
  countedOver(name: string, from = 0, to = this.size): Counted | undefined {
    const seconds = this.rateSeconds.get(name);
    const col = this.cols.get(name);
    if (!seconds || !col) return undefined;
    let count = 0;
    let exposure = 0;
    for (let i = from; i < to; i++) {
      if (col.state[i] !== NUMBER) continue;
      if (Number.isNaN(seconds[i]!)) return undefined;
      // The counter's own delta (the rate is it divided by the seconds): a count only if whole (an
      // extrapolated increase, a counter of seconds, is not).
      const whole = wholeCount(col.values[i]! * seconds[i]!);
      if (whole === undefined) return undefined;
      count += whole;
      exposure += seconds[i]!;
    }
    return { count, exposure };
  }

  /** The seconds a rate from a counter was read over where the samples had no timestamps, if that happened. */
  untimedInterval(): number | undefined {
    return this.untimedUsed ? this.untimedSeconds : undefined;
  }

  /** The metric's column over samples [from, to); views, not copies. */
  column(name: string, from = 0, to = this.size): MetricColumn {
    const col = this.cols.get(name);
    if (!col) throw new Error(`metric ${name} is not among these columns`);
    return { values: col.values.subarray(from, to), state: col.state.subarray(from, to) };
  }

  /** The last `n` samples (or all of them), as columns of their own sharing the same memory. */
  tail(n: number): PhaseColumns {
    const from = Math.max(0, this.size - n);
    const view = new PhaseColumns([], 0);
    for (const name of this.cols.keys()) view.cols.set(name, this.column(name, from));
    // What was read from counters stays known: untrusted counters can still be taken out of the view.
    for (const [name, counters] of this.sources) view.sources.set(name, counters);
    for (const [name, mask] of this.derivedAt) view.derivedAt.set(name, mask.subarray(from, this.size));
    view.size = view.capacity = this.size - from;
    view.index();
    return view;
  }

  /**
   * How many times the counter went down and, within BOUNCE_SAMPLES samples, back past where it
   * had been. One process's counter only goes down when it restarts, and then starts again
   * near zero; one URL in front of several processes answers from a different one each time, and
   * their counters (each since its own start) take turns.
   */
  bounces(counter: string): number {
    const col = this.cols.get(counter);
    if (!col) return 0;
    let bounces = 0;
    for (let d = 1; d < this.size; d++) {
      if (!wentDown(col, d)) continue;
      for (let j = d + 1; j < Math.min(this.size, d + 1 + BOUNCE_SAMPLES); j++) {
        if (col.state[j] === NUMBER && col.values[j]! > col.values[d - 1]!) {
          bounces++;
          break;
        }
      }
    }
    return bounces;
  }

  /** The counters some share or rate is read from. */
  counters(): Set<string> {
    return new Set([...this.sources.values()].flat());
  }

  /** The counters this share or rate is read from where the samples do not report it (none: []). */
  sourcesOf(name: string): readonly string[] {
    return this.sources.get(name) ?? [];
  }

  /**
   * These columns with everything read from the given counters taken out: the counters' own values,
   * and every share or rate value derived from them (values the samples reported themselves stay).
   * Columns nothing was taken from are shared, not copied.
   */
  withoutCounters(untrusted: ReadonlySet<string>): PhaseColumns {
    const view = new PhaseColumns([], 0);
    for (const name of this.cols.keys()) {
      const col = this.column(name);
      const mask = this.derivedAt.get(name);
      const fromUntrusted = this.sources.get(name)?.some((c) => untrusted.has(c)) === true;
      if (untrusted.has(name) || (mask && fromUntrusted)) {
        const values = Float64Array.from(col.values);
        const state = Uint8Array.from(col.state);
        for (let i = 0; i < this.size; i++) {
          if (untrusted.has(name) || mask![i] === 1) {
            values[i] = Number.NaN;
            state[i] = ABSENT;
          }
        }
        view.cols.set(name, { values, state });
        continue;
      }
      view.cols.set(name, col);
      if (mask) view.derivedAt.set(name, mask.subarray(0, this.size));
      const seconds = this.rateSeconds.get(name);
      if (seconds) view.rateSeconds.set(name, seconds.subarray(0, this.size));
      const counter = this.counted.get(name);
      if (counter !== undefined) view.counted.set(name, counter);
      const disagreed = this.disagreed.get(name);
      if (disagreed !== undefined) view.disagreed.set(name, disagreed);
    }
    for (const [name, counters] of this.sources) if (!counters.some((c) => untrusted.has(c))) view.sources.set(name, counters);
    view.size = view.capacity = this.size;
    view.index();
    return view;
  }

  /**
   * Samples [from, to) that lack a derived share or rate get it from the counters' deltas since the
   * sample before (the first sample of a phase has none). A counter that went down (a restart), an
   * interval without requests (a share) or without a known length (a rate: one of the two samples
   * without a timestamp, unless neither has one and `untimedMs` was given) gives no value: the
   * sample stays without one.
   */
  private derive(from: number, to: number): void {
    for (const d of this.rates) {
      const rate = this.cols.get(d.name)!;
      const counter = this.cols.get(d.counter)!;
      for (let i = Math.max(1, from); i < to; i++) {
        if (rate.state[i] !== ABSENT || counter.state[i] !== NUMBER || counter.state[i - 1] !== NUMBER) continue;
        const counted = counter.values[i]! - counter.values[i - 1]!;
        const untimed = Number.isNaN(this.times[i]!) && Number.isNaN(this.times[i - 1]!);
        const seconds = untimed ? this.untimedSeconds : (this.times[i]! - this.times[i - 1]!) / 1000;
        if (!(counted >= 0 && seconds > 0) || !Number.isFinite(counted / seconds) || bouncedBack(counter, i) || spikedInto(counter, i, to)) continue;
        rate.values[i] = counted / seconds;
        rate.state[i] = NUMBER;
        this.derivedAt.get(d.name)![i] = 1;
        this.rateSeconds.get(d.name)![i] = seconds;
        this.counted.set(d.name, d.counter);
        if (untimed) this.untimedUsed = true;
      }
    }
    for (const d of this.shares) {
      const share = this.cols.get(d.name)!;
      const events = this.cols.get(d.events)!;
      const requests = this.cols.get(d.requests)!;
      for (let i = Math.max(1, from); i < to; i++) {
        if (share.state[i] !== ABSENT) continue;
        const moved = countersMoved(events, requests, i);
        if (moved && moved.requests >= 0 && moved.events > moved.requests) this.disagreed.set(d.name, (this.disagreed.get(d.name) ?? 0) + 1);
        const delta = counterDelta(events, requests, i, to);
        if (!delta || !(delta.requests > 0)) continue;
        share.values[i] = delta.events / delta.requests;
        share.state[i] = NUMBER;
        this.derivedAt.get(d.name)![i] = 1;
      }
    }
    this.retractSpikes(from, to);
  }

  /**
   * Samples arrive one by one: a fall in samples [from, to) can show that one of the BOUNCE_SAMPLES
   * samples before `from` was a spike (spikedInto), and what was derived from the rise into it is
   * taken back.
   */
  private retractSpikes(from: number, to: number): void {
    for (const d of this.rates) this.retract(d.name, from, to, this.cols.get(d.counter)!);
    for (const d of this.shares) this.retract(d.name, from, to, this.cols.get(d.events)!, this.cols.get(d.requests)!);
  }

  private retract(name: string, from: number, to: number, counter: MetricColumn, other?: MetricColumn): void {
    const mask = this.derivedAt.get(name)!;
    const col = this.cols.get(name)!;
    for (let s = Math.max(1, from - BOUNCE_SAMPLES); s < from; s++) {
      if (mask[s] !== 1 || !(spikedInto(counter, s, to) || (other !== undefined && spikedInto(other, s, to)))) continue;
      col.values[s] = Number.NaN;
      col.state[s] = ABSENT;
      mask[s] = 0;
    }
  }

  private grow(): void {
    this.capacity = Math.max(16, this.capacity * 2);
    for (const [name, col] of this.cols) {
      const values = new Float64Array(this.capacity);
      const state = new Uint8Array(this.capacity);
      values.set(col.values);
      state.set(col.state);
      this.cols.set(name, { values, state });
    }
    if (this.rates.length > 0) {
      const times = new Float64Array(this.capacity);
      times.set(this.times);
      this.times = times;
    }
    for (const [name, old] of this.rateSeconds) {
      const seconds = new Float64Array(this.capacity).fill(Number.NaN);
      seconds.set(old);
      this.rateSeconds.set(name, seconds);
    }
    for (const [name, old] of this.derivedAt) {
      const mask = new Uint8Array(this.capacity);
      mask.set(old);
      this.derivedAt.set(name, mask);
    }
    this.index();
  }

  private index(): void {
    this.names.length = 0;
    this.names.push(...this.cols.keys());
    this.list = [...this.cols.values()];
  }
}

/**
 * Fills `columns` (one per name, each as long as `snapshots`) block by block: a block of snapshots is
 * read row by row into a small scratch area (all lookups in one object at a time, sequential
 * writes), then copied column by column. The scratch stays in cache, and nothing the size of the
 * whole phase is allocated twice. A function of its own, on plain arrays: as a method reading the
 * columns through the instance, the same loops took 15-20% more CPU (bench/README.md).
 */
function fill(columns: readonly MetricColumn[], names: readonly string[], snapshots: readonly MetricSnapshot[]): void {
  const width = names.length;
  const values = new Float64Array(width * BLOCK);
  const state = new Uint8Array(width * BLOCK);
  for (let start = 0; start < snapshots.length; start += BLOCK) {
    const rows = Math.min(BLOCK, snapshots.length - start);
    for (let r = 0; r < rows; r++) {
      const metrics = snapshots[start + r]!.metrics;
      for (let k = 0; k < width; k++) store(metrics, names[k]!, values, state, r * width + k);
    }
    for (let k = 0; k < width; k++) {
      const col = columns[k]!;
      for (let r = 0; r < rows; r++) {
        col.values[start + r] = values[r * width + k]!;
        col.state[start + r] = state[r * width + k]!;
      }
    }
  }
}

/** One cell: the metric's value in a sample, and whether it was a number, something else, or missing. */
function store(metrics: Record<string, unknown>, name: string, values: Float64Array, state: Uint8Array, at: number): void {
  const v = metrics[name];
  if (typeof v === 'number' && Number.isFinite(v)) {
    // Object.prototype holds no numbers: a number found by name is the sample's own.
    values[at] = v;
    state[at] = NUMBER;
  } else {
    values[at] = Number.NaN;
    // Only what the sample itself holds counts: `constructor` or `toString` inherited by an object
    // read from the store is absent, not an odd value.
    state[at] = Object.hasOwn(metrics, name) ? INVALID : ABSENT;
  }
}

/** `value` as a count of events: the whole number it is, to the last bits arithmetic leaves; undefined for a fraction or a negative. */
export function wholeCount(value: number): number | undefined {
  const whole = Math.round(value);
  return whole >= 0 && Math.abs(value - whole) <= 1e-6 * Math.max(1, value) ? whole : undefined;
}

/** Samples as the judge takes them: snapshots (files, the store) or columns built as they arrived. */
export type PhaseSamples = readonly MetricSnapshot[] | PhaseColumns;

/**
 * What two monotonic counters (events, requests) counted between sample i - 1 and sample i, or
 * undefined where either is missing or went down. A counter that went down restarted, and what it
 * counted in between is unknown: the interval is left out. (Taking the new value as the count would
 * be right for one process, but the counters of several endpoints are combined, and one restarting
 * would then count everything.)
 */
export function counterDelta(events: MetricColumn, requests: MetricColumn, i: number, size = events.values.length): { events: number; requests: number } | undefined {
  const moved = countersMoved(events, requests, i);
  return moved && consistent(moved) && !bouncedBack(events, i) && !bouncedBack(requests, i) && !spikedInto(events, i, size) && !spikedInto(requests, i, size) ? moved : undefined;
}

/** The counter went down from sample d - 1 to sample d. */
function wentDown(col: MetricColumn, d: number): boolean {
  return col.state[d] === NUMBER && col.state[d - 1] === NUMBER && col.values[d]! < col.values[d - 1]!;
}

/**
 * Sample i is back past where the counter was before it went down, within BOUNCE_SAMPLES samples: the
 * rise into it is no count. A restarted process starts again near zero; a counter that is back at
 * once is another process's (one URL in front of several), or a sum that lost one of its series
 * for a sample (a missed scrape), and the rise is that process's whole count since it started.
 */
function bouncedBack(col: MetricColumn, i: number): boolean {
  if (col.state[i] !== NUMBER) return false;
  for (let d = i - 1; d >= Math.max(1, i - BOUNCE_SAMPLES); d--) {
    // The rise that gets it back, not the counts after it (the sample before still short of that level).
    if (wentDown(col, d) && col.values[i]! > col.values[d - 1]! && !(col.values[i - 1]! > col.values[d - 1]!)) return true;
  }
  return false;
}

/**
 * The counter rose into sample s and, within BOUNCE_SAMPLES samples (of the first `size`), came
 * back down past where it had been before that rise (not near zero, as a restart lands):
 * sample s is no count of this counter's (one answer from another process behind the URL, with its
 * own longer life; a value from nowhere), and the rise into it is left out, as the fall after it is.
 * A sum over instances that went down because one of them restarted loses the interval before too:
 * an interval lost, never one counted that did not happen.
 */
function spikedInto(col: MetricColumn, s: number, size: number): boolean {
  if (col.state[s] !== NUMBER || col.state[s - 1] !== NUMBER || !(col.values[s]! > col.values[s - 1]!)) return false;
  for (let j = s + 1; j < Math.min(size, s + 1 + BOUNCE_SAMPLES); j++) {
    if (col.state[j] !== NUMBER) continue;
    // The first value below the spike's decides.
    if (col.values[j]! < col.values[s]!) return col.values[j]! > col.values[s - 1]!;
  }
  return false;
}

/** How far both counters moved between sample i - 1 and i, whatever the moves; undefined where one of the four values is missing. */
function countersMoved(events: MetricColumn, requests: MetricColumn, i: number): { events: number; requests: number } | undefined {
  if (events.state[i] !== NUMBER || requests.state[i] !== NUMBER || events.state[i - 1] !== NUMBER || requests.state[i - 1] !== NUMBER) return undefined;
  return { events: events.values[i]! - events.values[i - 1]!, requests: requests.values[i]! - requests.values[i - 1]! };
}

/** Moves that are counts: neither counter went down, and no more events than requests (the events grew past them: counters that disagree). */
function consistent(moved: { events: number; requests: number }): boolean {
  return moved.events >= 0 && moved.requests >= 0 && moved.events <= moved.requests && Number.isFinite(moved.requests);
}

/**
 * Columns for the rules' metrics, converting snapshots once (columns already built are used as they
 * are). `untimedMs`: the time between two samples without timestamps, for the rates read from counters.
 */
export function asColumns(samples: PhaseSamples, rules: Rules, untimedMs?: number): PhaseColumns {
  return samples instanceof PhaseColumns ? samples : PhaseColumns.from(samples, metricNames(rules), fromCounters(rules), untimedMs);
}

/** Empty columns for these rules, filled as samples arrive (`append`). */
export function emptyColumns(rules: Rules, capacity?: number): PhaseColumns {
  return new PhaseColumns(metricNames(rules), capacity, fromCounters(rules));
}

/** The rules' shares and rates that counters can stand in for. */
export function fromCounters(rules: Rules): Derived[] {
  return Object.entries(rules).flatMap(([name, rule]): Derived[] => [
    ...(rule.counters ? [{ name, events: rule.counters.events, requests: rule.counters.requests }] : []),
    ...(rule.counter ? [{ name, counter: rule.counter }] : []),
  ]);
}

/** A sample's time in epoch ms, NaN when it has none (or none that parses). */
function timeOf(snapshot: MetricSnapshot): number {
  // eslint-disable-next-line no-restricted-globals -- the sample's own time read from its text, not the clock
  return snapshot.timestamp === undefined ? Number.NaN : Date.parse(snapshot.timestamp);
}

/** The metrics the judge reads for these rules: each rule's metric, its volume metric and its counters. */
export function metricNames(rules: Rules): Set<string> {
  const names = new Set([...Object.keys(rules), ...counterNames(rules)]);
  for (const rule of Object.values(rules)) if (rule.volume) names.add(rule.volume);
  return names;
}

/** The monotonic counters the rules read (`requests_total`, `errors_total`). */
export function counterNames(rules: Rules): Set<string> {
  const names = new Set<string>();
  for (const rule of Object.values(rules)) {
    if (rule.counters) names.add(rule.counters.events).add(rule.counters.requests);
    if (rule.counter) names.add(rule.counter);
  }
  return names;
}

/** A counter whose values are not one process's (PhaseColumns.bounces), and how many times it bounced in each phase. */
export interface UntrustedCounter {
  counter: string;
  bounces: { pre: number; post: number };
}

/**
 * Both phases without the counters that bounced (PhaseColumns.bounces) UNTRUSTED_BOUNCES times or
 * more between them: their deltas are differences between processes, not counts, and a share or a
 * rate read from them would be judged as if it had been counted (an endpoint in front of three
 * instances read a healthy service's 11 requests a second as 753, "exact"). The same phases when
 * every counter holds.
 */
export function trustedColumns(pre: PhaseColumns, post: PhaseColumns): { pre: PhaseColumns; post: PhaseColumns; untrusted: UntrustedCounter[] } {
  const untrusted: UntrustedCounter[] = [];
  for (const counter of new Set([...pre.counters(), ...post.counters()])) {
    const bounces = { pre: pre.bounces(counter), post: post.bounces(counter) };
    if (bounces.pre + bounces.post >= UNTRUSTED_BOUNCES) untrusted.push({ counter, bounces });
  }
  if (untrusted.length === 0) return { pre, post, untrusted };
  const names = new Set(untrusted.map((u) => u.counter));
  return { pre: pre.withoutCounters(names), post: post.withoutCounters(names), untrusted };
}
