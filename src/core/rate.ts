/**
 * Events and requests per sample, for a share of requests (error_rate) judged as counts. Exact
 * when the app reports monotonic counters (`errors_total`, `requests_total`): the deltas between
 * consecutive samples (an interval where a counter went down, a restart, is left out). Otherwise estimated
 * from the rate and the request rate (rate x requests/s x interval), and said to be estimates.
 * A rate outside [0, 1] is not a share: the metric is then judged as a plain level. Pure.
 */
import { counterDelta, NUMBER, wholeCount, type PhaseColumns } from './columns.js';
import type { Counted, Counts } from './stats/binomial.js';
import type { MetricRule } from './types.js';

export interface PhaseCounts {
  pre: Counts[];
  post: Counts[];
  estimated: boolean;
}

/**
 * The counts of both phases, or undefined when they cannot be had (then the rate is judged as a
 * plain level). PRE's counts may all be zero requests: PRE had no traffic, and the share has no
 * baseline (noTraffic below); POST's always hold some.
 */
export function countsOf(name: string, rule: MetricRule, pre: PhaseColumns, post: PhaseColumns, settle: number, intervalSeconds: number): PhaseCounts | undefined {
  if (rule.counters && pre.has(rule.counters.events) && pre.has(rule.counters.requests)) {
    const exact = { pre: counterDeltas(rule.counters, pre, 1), post: counterDeltas(rule.counters, post, Math.max(1, settle)), estimated: false };
    if (known(exact.pre) && usable(exact.post)) return exact;
  }
  if (!rule.volume || !pre.has(rule.volume)) return undefined;
  const estimated = { pre: estimates(name, rule.volume, pre, 0, intervalSeconds), post: estimates(name, rule.volume, post, settle, intervalSeconds), estimated: true };
  if (!estimated.pre || !estimated.post || !known(estimated.pre) || !usable(estimated.post)) return undefined;
  return estimated as PhaseCounts;
}

/** PRE's counts show it served no request at all: a share of its requests (0 / 0) is no baseline. */
export function noTraffic(counts: Counts[]): boolean {
  return !usable(counts);
}

function usable(list: Counts[]): boolean {
  return list.some((c) => c.requests > 0);
}

/** Some interval was counted (with or without requests). */
function known(list: Counts[]): boolean {
  return list.length > 0;
}

/** Deltas of the two counters between consecutive samples from `from` on (a sample and the one before it). */
function counterDeltas(counters: NonNullable<MetricRule['counters']>, phase: PhaseColumns, from: number): Counts[] {
  const events = phase.column(counters.events);
  const requests = phase.column(counters.requests);
  const out: Counts[] = [];
  for (let i = from; i < phase.length; i++) {
    const delta = counterDelta(events, requests, i);
    if (delta) out.push(delta);
  }
  return out;
}

/** rate x volume x interval per sample from `from` on; undefined when a rate is not a share or a count would overflow. */
function estimates(name: string, volume: string, phase: PhaseColumns, from: number, intervalSeconds: number): Counts[] | undefined {
  const rate = phase.column(name, from);
  const vol = phase.column(volume, from);
  const out: Counts[] = [];
  for (let i = 0; i < rate.state.length; i++) {
    if (rate.state[i] !== NUMBER || vol.state[i] !== NUMBER) continue;
    const r = rate.values[i]!;
    const v = vol.values[i]!;
    if (r < 0 || v < 0) continue;
    if (r > 1) return undefined;
    const requests = v * intervalSeconds;
    if (!Number.isFinite(requests)) return undefined;
    out.push({ events: r * requests, requests });
  }
  return out;
}

/**
 * The values as events counted per interval, when they are: every value times the interval's
 * seconds a whole number (requests counted per interval and reported per second, as a serverless
 * platform or a web log gives them). A rolling rate sampled more often than its window (each event
 * counted several times) gives fractions, and is not taken for counts.
 */
export function countedPerInterval(values: ArrayLike<number>, intervalSeconds: number): Counted | undefined {
  if (values.length === 0 || !(intervalSeconds > 0)) return undefined;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const whole = wholeCount(values[i]! * intervalSeconds);
    if (whole === undefined) return undefined;
    count += whole;
  }
  // A total past 2^53 is no longer exact: the caller takes only safe integers.
  return { count, exposure: values.length };
}
