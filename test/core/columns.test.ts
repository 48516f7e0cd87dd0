/**
 * Columns are only a faster way to hand samples to the judge: every verdict must be the same as
 * from the snapshots they were built from, whether built at once or one sample at a time.
 */
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/core/analyze.js';
import { ABSENT, asColumns, emptyColumns, INVALID, metricNames, NUMBER, PhaseColumns, trustedColumns } from '../../src/core/columns.js';
import { decisiveRegression } from '../../src/core/early.js';
import { DEFAULT_RULES, rule } from '../../src/core/rules.js';
import type { MetricSnapshot } from '../../src/core/types.js';
// @ts-expect-error: plain JS shared with the benchmark, no declarations
import { FAMILIES, scenarios } from '../../bench/scenarios.js';

interface Scenario { pre: MetricSnapshot[]; post: MetricSnapshot[]; intervalMs: number }

describe('PhaseColumns', () => {
  it('tells a number from an odd value and from a missing one', () => {
    const cols = PhaseColumns.from(
      [{ metrics: { a: 1.5, b: 'x' } }, { metrics: { a: Number.NaN, b: null } }, { metrics: { b: Infinity } }, { metrics: { a: -2 } }],
      ['a', 'b'],
    );
    const a = cols.column('a');
    const b = cols.column('b');
    expect(cols.length).toBe(4);
    expect([...a.state]).toEqual([NUMBER, INVALID, ABSENT, NUMBER]);
    expect(a.values[0]).toBe(1.5);
    expect(a.values[3]).toBe(-2); // negatives are the rule's call, not the column's
    expect([...b.state]).toEqual([INVALID, INVALID, INVALID, ABSENT]);
    expect(Number.isNaN(b.values[0]!)).toBe(true);
  });

  it('keeps every value when appends outgrow the capacity', () => {
    const cols = new PhaseColumns(['m'], 1);
    for (let i = 0; i < 100; i++) cols.append({ metrics: { m: i } });
    expect(cols.length).toBe(100);
    expect([...cols.column('m').values]).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect([...cols.column('m', 95).values]).toEqual([95, 96, 97, 98, 99]);
  });

  it('gives the last n samples as a view of their own', () => {
    const cols = PhaseColumns.from([1, 2, 3, 4, 5].map((m) => ({ metrics: { m } })), ['m']);
    const tail = cols.tail(2);
    expect(tail.length).toBe(2);
    expect([...tail.column('m').values]).toEqual([4, 5]);
    expect(cols.tail(10).length).toBe(5);
  });

  it('refuses a metric it was not built for, rather than calling it missing', () => {
    const cols = PhaseColumns.from([{ metrics: { m: 1 } }], ['m']);
    expect(() => cols.column('other')).toThrow(/not among these columns/);
  });

  it('a rate the samples do not report is read from its counter over the seconds between samples; a restart or an unknown time gives none', () => {
    const at = (s: number) => new Date(Date.UTC(2026, 11, 7) + s * 1000).toISOString();
    const snaps: MetricSnapshot[] = [
      { timestamp: at(0), metrics: { requests_total: 5000 } },
      { timestamp: at(10), metrics: { requests_total: 6000 } },
      // A tick lost in between: 20 s, still 100 a second.
      { timestamp: at(30), metrics: { requests_total: 8000 } },
      // The process restarted: what it counted since is unknown.
      { timestamp: at(40), metrics: { requests_total: 300 } },
      { timestamp: at(50), metrics: { requests_total: 800 } },
      // No time: neither this interval nor the next has a length.
      { metrics: { requests_total: 1300 } },
      { timestamp: at(70), metrics: { requests_total: 1800 } },
      // The rate the app reports is the one judged.
      { timestamp: at(80), metrics: { requests_total: 2300, requests_per_sec: 42 } },
    ];
    const expected = [Number.NaN, 100, 100, Number.NaN, 50, Number.NaN, Number.NaN, 42];
    const rules = { requests_per_sec: DEFAULT_RULES.requests_per_sec! };
    const names = metricNames(rules);
    expect(names.has('requests_total')).toBe(true);
    const whole = asColumns(snaps, rules);
    const oneByOne = emptyColumns(rules, 2);
    for (const s of snaps) oneByOne.append(s);
    for (const c of [whole, oneByOne]) {
      const col = c.column('requests_per_sec');
      expect([...col.values]).toEqual(expected);
      expect([...col.state]).toEqual(expected.map((v) => (Number.isNaN(v) ? ABSENT : NUMBER)));
      expect(c.counterOf('requests_per_sec')).toBe('requests_total');
    }
    // Reported throughout: nothing read from the counter.
    expect(asColumns(snaps.map((s) => ({ ...s, metrics: { ...s.metrics, requests_per_sec: 7 } })), rules).counterOf('requests_per_sec')).toBeUndefined();
  });

  it('samples without timestamps (a sample file) read their rate over the interval given; a sample with a time next to one without still gives none', () => {
    const rules = { requests_per_sec: DEFAULT_RULES.requests_per_sec! };
    const untimed: MetricSnapshot[] = [{ metrics: { requests_total: 1000 } }, { metrics: { requests_total: 1600 } }, { metrics: { requests_total: 2200 } }];
    const cols = asColumns(untimed, rules, 30_000);
    expect([...cols.column('requests_per_sec').values]).toEqual([Number.NaN, 20, 20]);
    expect(cols.untimedInterval()).toBe(30);
    // No interval given: no length, no rate (as before).
    expect([...asColumns(untimed, rules).column('requests_per_sec').state]).toEqual([ABSENT, ABSENT, ABSENT]);
    // One of the two has a time: the interval between them is not known to be the setting's.
    const mixed: MetricSnapshot[] = [{ timestamp: new Date(Date.UTC(2026, 11, 7)).toISOString(), metrics: { requests_total: 1000 } }, { metrics: { requests_total: 1600 } }];
    const m = asColumns(mixed, rules, 30_000);
    expect([...m.column('requests_per_sec').state]).toEqual([ABSENT, ABSENT]);
    expect(m.untimedInterval()).toBeUndefined();
    // Timed samples never use it.
    const timed = untimed.map((s, i) => ({ ...s, timestamp: new Date(Date.UTC(2026, 11, 7) + i * 10_000).toISOString() }));
    const t = asColumns(timed, rules, 30_000);
    expect([...t.column('requests_per_sec').values]).toEqual([Number.NaN, 60, 60]);
    expect(t.untimedInterval()).toBeUndefined();
  });

  it('a counter that goes down and back up is not one process\'s: nothing is read from it; a restart, or one of several endpoints restarting, is', () => {
    const at = (s: number) => new Date(Date.UTC(2026, 11, 7) + s * 1000).toISOString();
    const rules = { error_rate: DEFAULT_RULES.error_rate!, requests_per_sec: DEFAULT_RULES.requests_per_sec! };
    const phase = (totals: [number, number][], reported: Record<string, number> = {}): MetricSnapshot[] =>
      totals.map(([requests, errors], i) => ({ timestamp: at(10 * i), metrics: { requests_total: requests, errors_total: errors, ...reported } }));
    // One URL in front of three processes, each counting since its own start, answering in turn.
    const processes = [[90_000, 900], [40_000, 400], [7_000, 70]] as const;
    const behindOneUrl = (from: number, n: number) =>
      phase(Array.from({ length: n }, (_, i) => {
        const [requests, errors] = processes[(from + i) % 3]!;
        return [requests + 100 * (from + i), errors + (from + i)] as [number, number];
      }));
    const pre = asColumns(behindOneUrl(0, 12), rules);
    const post = asColumns(behindOneUrl(12, 30), rules);
    expect(pre.bounces('requests_total')).toBeGreaterThanOrEqual(2);
    // Every rise is back past where another process had been: none is read as a count (each was that
    // process's whole count since the one before it answered: a healthy 10 requests a second read as thousands).
    expect(post.column('requests_per_sec').state.every((s) => s === ABSENT)).toBe(true);
    const trusted = trustedColumns(pre, post);
    expect(trusted.untrusted.map((u) => u.counter).sort()).toEqual(['errors_total', 'requests_total']);
    for (const c of [trusted.pre, trusted.post]) {
      for (const name of ['requests_per_sec', 'error_rate', 'requests_total', 'errors_total']) expect(c.column(name).state.every((s) => s === ABSENT)).toBe(true);
      expect(c.counterOf('requests_per_sec')).toBeUndefined();
      expect(c.countedOver('requests_per_sec')).toBeUndefined();
    }
    // The same, sample by sample (the live view and the early decision build POST that way), and from its last samples (the live view's).
    const oneByOne = emptyColumns(rules, 2);
    for (const s of behindOneUrl(12, 30)) oneByOne.append(s);
    expect(trustedColumns(pre, oneByOne).untrusted).toEqual(trusted.untrusted);
    expect(trustedColumns(pre.tail(6), oneByOne.tail(6)).post.column('requests_per_sec').state.every((s) => s === ABSENT)).toBe(true);

    // What the samples reported themselves stays: only what was read from the counters goes.
    const reported = asColumns(behindOneUrl(12, 30).map((s, i) => (i % 2 === 0 ? { ...s, metrics: { ...s.metrics, requests_per_sec: 10, error_rate: 0.01 } } : s)), rules);
    const kept = trustedColumns(pre, reported).post;
    expect([...kept.column('requests_per_sec').values].filter((v) => !Number.isNaN(v))).toEqual(Array(15).fill(10));
    expect([...kept.column('error_rate').values].filter((v) => !Number.isNaN(v))).toEqual(Array(15).fill(0.01));

    // A sum that lost one of its series for one sample (a missed scrape of one instance): the fall
    // and the rise back are no counts, the rest are; once is not enough to distrust the counter.
    const missed = phase([[90_000, 900], [90_100, 901], [50_200, 502], [90_300, 903], [90_400, 904], [90_500, 905]]);
    const m = asColumns(missed, rules);
    expect([...m.column('requests_per_sec').values]).toEqual([Number.NaN, 10, Number.NaN, Number.NaN, 10, 10]);
    expect([...m.column('error_rate').values]).toEqual([Number.NaN, 0.01, Number.NaN, Number.NaN, 0.01, 0.01]);
    expect(trustedColumns(asColumns(missed.slice(0, 2), rules), m).untrusted).toEqual([]);
    // Twice over the two phases (once in each) is not one process's counter any more.
    const twice = trustedColumns(m, asColumns(missed, rules));
    expect([...twice.untrusted].sort((x, y) => x.counter.localeCompare(y.counter))).toEqual([
      { counter: 'errors_total', bounces: { pre: 1, post: 1 } },
      { counter: 'requests_total', bounces: { pre: 1, post: 1 } },
    ]);
    // Back past its old value only at the 4th sample after the fall: a restart that counted fast, read as one.
    const slow = asColumns(phase([[90_000, 900], [90_100, 901], [50_200, 502], [60_300, 603], [70_400, 704], [80_500, 805], [90_600, 906]]), rules);
    expect(slow.bounces('requests_total')).toBe(0);
    expect([...slow.column('requests_per_sec').values]).toEqual([Number.NaN, 10, Number.NaN, 1010, 1010, 1010, 1010]);

    // One process restarting, once: its counter starts again near zero and is read as before.
    const restart = phase([[5000, 50], [6000, 60], [7000, 70], [300, 3], [1300, 13], [2300, 23], [3300, 33]]);
    // Three endpoints summed, restarted one after another through POST (a rolling deploy): the sum goes down three times, never back.
    const rolling = phase([[90_000, 900], [90_600, 906], [50_700, 507], [50_800, 508], [10_900, 109], [11_000, 110], [4_100, 41], [4_400, 44]]);
    for (const samples of [restart, rolling]) {
      const c = asColumns(samples, rules);
      const t = trustedColumns(asColumns(samples.slice(0, 2), rules), c);
      expect(t.untrusted).toEqual([]);
      expect(t.post).toBe(c);
      expect(c.column('requests_per_sec').state.filter((s) => s === NUMBER).length).toBe(samples.length - 1 - (samples === restart ? 1 : 3));
    }
  });

  it('a counter that jumps and comes back down to where it was (one answer from another process, a value from nowhere) counts neither the jump nor the fall, built at once or sample by sample', () => {
    const rules = { error_rate: DEFAULT_RULES.error_rate!, requests_per_sec: DEFAULT_RULES.requests_per_sec! };
    const phase = (totals: [number, number][]): MetricSnapshot[] => totals.map(([requests, errors]) => ({ metrics: { requests_total: requests, errors_total: errors } }));
    // 1,000 requests and 500 errors an interval; the third sample answered by a process that has run
    // far longer (its requests_total at ten million). Read as counts, the jump was 10 million
    // requests with 500 errors: a 50 % error rate read as 0.005 %.
    const spiked = phase([[5000, 50], [6000, 550], [10_000_000, 1050], [8000, 1550], [9000, 2050], [10_000, 2550]]);
    // The same at the largest doubles: events and requests equal to the last bit are no share of 1 either.
    const huge = spiked.map((s, i) => (i === 2 ? { metrics: { requests_total: 1e308, errors_total: 1e308 } } : s));
    for (const samples of [spiked, huge]) {
      const oneByOne = emptyColumns(rules, 2);
      for (const s of samples) oneByOne.append(s);
      for (const c of [asColumns(samples, rules, 10_000), oneByOne]) {
        expect([...c.column('error_rate').values]).toEqual([Number.NaN, 0.5, Number.NaN, Number.NaN, 0.5, 0.5]);
      }
      expect([...asColumns(samples, rules, 10_000).column('requests_per_sec').values]).toEqual([Number.NaN, 100, Number.NaN, Number.NaN, 100, 100]);
      // Whatever the judge counts from them is the intervals that were counted.
      const a = analyze({ pre: phase([[1000, 10], [2000, 20], [3000, 30], [4000, 40]]), post: samples, rules, intervalMs: 10_000, settle: 0 });
      expect(a.verdict).toBe('rollback_recommended');
      expect(a.metrics.find((m) => m.name === 'error_rate')!.evidence.counts).toMatchObject({ pre_events: 30, pre_requests: 3000, post_events: 1500, post_requests: 3000, estimated: false });
    }
    // A jump the counter then keeps growing from is a burst of traffic, counted.
    const burst = asColumns(phase([[5000, 50], [6000, 60], [60_000, 600], [61_000, 610], [62_000, 620]]), rules, 10_000);
    expect([...burst.column('requests_per_sec').values]).toEqual([Number.NaN, 100, 5400, 100, 100]);
  });

  it('reads the rules\' metrics and their volume metrics', () => {
    const names = metricNames({ error_rate: rule('increase', 50, { volume: 'requests_per_sec' }), latency_p95: rule('increase', 30) });
    expect([...names].sort()).toEqual(['error_rate', 'latency_p95', 'requests_per_sec']);
  });
});

describe('the judge on columns', () => {
  const names = metricNames(DEFAULT_RULES);
  const incremental = (snapshots: MetricSnapshot[]) => {
    const cols = new PhaseColumns(names, 2);
    for (const s of snapshots) cols.append(s);
    return cols;
  };

  it.each(FAMILIES as { name: string }[])('gives the same analysis as snapshots: $name', (family) => {
    for (const s of scenarios(family, 5, 3) as Scenario[]) {
      const input = { rules: DEFAULT_RULES, intervalMs: s.intervalMs, expected: { pre: s.pre.length, post: s.post.length } };
      const fromSnapshots = analyze({ ...input, pre: s.pre, post: s.post });
      expect(analyze({ ...input, pre: PhaseColumns.from(s.pre, names), post: incremental(s.post) })).toEqual(fromSnapshots);
      const early = { planned: s.post.length };
      expect(decisiveRegression({ ...input, pre: PhaseColumns.from(s.pre, names), post: incremental(s.post) }, early)).toEqual(decisiveRegression({ ...input, pre: s.pre, post: s.post }, early));
    }
  });
});
