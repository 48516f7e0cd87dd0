import { describe, expect, it } from 'vitest';
import { aggregateTick } from '../../src/core/aggregate.js';
import { analyze } from '../../src/core/analyze.js';
import { exitCodeFor } from '../../src/core/exit-code.js';
import { DEFAULT_RULES } from '../../src/core/rules.js';
import type { MetricSnapshot, Rules } from '../../src/core/types.js';

const rules: Rules = { ...DEFAULT_RULES };

/** Snapshots with the given metric values; noise is a deterministic ±spread around each value. */
function series(n: number, metrics: Record<string, number>, spread = 0.03): MetricSnapshot[] {
  return Array.from({ length: n }, (_, i) => ({
    metrics: Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, v * (1 + spread * Math.sin(i * 2.3 + k.length))])),
  }));
}

const healthy = { error_rate: 0.01, latency_p95: 120, latency_p99: 200, cpu_usage: 0.35, memory_usage: 512, requests_per_sec: 240, db_connections: 18 };

describe('analyze', () => {
  it('healthy deploy with noise -> ok, high confidence', () => {
    const a = analyze({ pre: series(12, healthy), post: series(30, healthy), rules, intervalMs: 10_000, expected: { pre: 12, post: 30 } });
    expect(a.verdict).toBe('ok');
    expect(a.confidence).toBeGreaterThan(0.9);
    expect(a.summary).toBe('No significant regression detected');
    // Nothing to explain: no detail line, no hint.
    expect(a.details).toEqual([]);
    expect(a.hints).toEqual([]);
    expect(a.metrics).toHaveLength(7);
    expect(a.metrics.every((m) => m.status === 'ok')).toBe(true);
  });

  it('error rate doubling (critical) -> rollback, with the SPEC wording', () => {
    const a = analyze({ pre: series(5, healthy, 0), post: series(10, { ...healthy, error_rate: 0.022 }, 0), rules });
    expect(a.verdict).toBe('rollback_recommended');
    expect(a.details[0]).toMatch(/^error_rate changed by \+120% \(baseline: 0\.01, current: 0\.022\); rate test p=/);
    expect(a.metrics.find((m) => m.name === 'error_rate')).toMatchObject({ baseline: 0.01, current: 0.022, change_pct: 120, threshold_pct: 50, status: 'regression' });
    expect(a.hints.map((h) => h.code)).toContain('errors_without_traffic_change');
  });

  it('two critical regressions -> "Multiple critical regressions detected"', () => {
    const a = analyze({ pre: series(5, healthy, 0), post: series(10, { ...healthy, error_rate: 0.05, requests_per_sec: 60 }, 0), rules });
    expect(a.verdict).toBe('rollback_recommended');
    expect(a.summary).toBe('Multiple critical regressions detected');
    expect(a.hints.map((h) => h.code)).toContain('traffic_drop');
  });

  it('one non-critical regression -> attention', () => {
    const a = analyze({ pre: series(5, healthy, 0), post: series(10, { ...healthy, latency_p95: 170 }, 0), rules });
    expect(a.verdict).toBe('attention');
    expect(a.summary).toBe('Regression detected: latency_p95');
    expect(a.details[0]).toMatch(/^latency_p95 changed by \+41\.7%/);
    expect(a.hints.map((h) => h.code)).toContain('latency_without_cpu');
  });

  it('latency and CPU up together -> rollback with a saturation hint', () => {
    const a = analyze({ pre: series(5, healthy, 0), post: series(10, { ...healthy, latency_p95: 200, cpu_usage: 0.7 }, 0), rules });
    expect(a.verdict).toBe('rollback_recommended');
    expect(a.summary).toBe('Multiple regressions detected: latency_p95, cpu_usage');
    expect(a.hints.map((h) => h.code)).toContain('saturation');
  });

  it('a critical regression names the others that regressed with it; the details list regressions first', () => {
    const a = analyze({ pre: series(5, healthy, 0), post: series(10, { ...healthy, error_rate: 0.03, memory_usage: 1024 }, 0), rules });
    expect(a.verdict).toBe('rollback_recommended');
    expect(a.summary).toBe('Critical regression detected: error_rate (also regressed: memory_usage)');
    const alone = analyze({ pre: series(5, healthy, 0), post: series(10, { ...healthy, error_rate: 0.03 }, 0), rules });
    expect(alone.summary).toBe('Critical regression detected: error_rate');
    // memory_usage (listed after cpu_usage, which improved) comes before it in the details.
    const b = analyze({ pre: series(5, healthy, 0), post: series(10, { ...healthy, cpu_usage: 0.1, memory_usage: 1024 }, 0), rules });
    expect(b.details[0]).toMatch(/^memory_usage changed by \+100%/);
    expect(b.details[1]).toMatch(/^cpu_usage changed by -71(\.\d)?%.*improved/);
  });

  it('direction matters: traffic going up and errors going down are not regressions', () => {
    const a = analyze({ pre: series(5, healthy, 0), post: series(10, { ...healthy, requests_per_sec: 400, error_rate: 0.001 }, 0), rules });
    expect(a.verdict).toBe('ok');
    expect(a.metrics.find((m) => m.name === 'error_rate')?.status).toBe('improvement');
  });

  it('a restart blip in one POST sample does not trip the median', () => {
    const post = series(20, healthy);
    post[0] = { metrics: { ...healthy, error_rate: 0.5, latency_p95: 2000 } };
    expect(analyze({ pre: series(5, healthy), post, rules }).verdict).toBe('ok');
  });

  it('tiny absolute moves under min_delta are noise (0.001 -> 0.003 error rate)', () => {
    const a = analyze({ pre: series(5, { ...healthy, error_rate: 0.001 }, 0), post: series(10, { ...healthy, error_rate: 0.003 }, 0), rules });
    expect(a.metrics.find((m) => m.name === 'error_rate')?.status).toBe('ok');
    expect(a.verdict).toBe('ok');
  });

  it('errors from a zero baseline: no relative change, judged on the absolute floor', () => {
    const a = analyze({ pre: series(5, { ...healthy, error_rate: 0 }, 0), post: series(10, { ...healthy, error_rate: 0.08 }, 0), rules });
    const m = a.metrics.find((x) => x.name === 'error_rate')!;
    expect(m.change_pct).toBeNull();
    expect(m.status).toBe('regression');
    expect(a.verdict).toBe('rollback_recommended');
    expect(a.details[0]).toMatch(/rose from 0 to 0.08/);
  });

  it('a known metric missing after the deploy -> attention, lower confidence, never ok', () => {
    const { error_rate: _drop, ...rest } = healthy;
    const a = analyze({ pre: series(5, healthy), post: series(10, rest), rules });
    expect(a.verdict).toBe('attention');
    // What it was before is said; after, there is nothing.
    expect(a.metrics.find((m) => m.name === 'error_rate')).toMatchObject({ status: 'no_data', current: null, change_pct: null });
    expect(a.metrics.find((m) => m.name === 'error_rate')!.baseline).toBeCloseTo(0.01, 3);
    expect(a.summary).toBe('Needs attention: missing data for error_rate');
    expect(a.details).toContain('error_rate: no data after the deploy (5 samples before)');
    expect(analyze({ pre: series(1, healthy), post: series(10, rest), rules }).details).toContain('error_rate: no data after the deploy (1 sample before)');
    // Nothing was compared for it: the attention rests on missing data alone.
    expect(a.confidence).toBe(0);
    expect(a.hints.map((h) => h.code)).toContain('metrics_missing_after_deploy');
  });

  it('non-numeric values are ignored, reported, and never crash', () => {
    const post = series(10, healthy);
    post[3] = { metrics: { ...healthy, error_rate: 'NaN', latency_p95: null } };
    const a = analyze({ pre: series(5, healthy), post, rules });
    expect(a.verdict).toBe('ok');
    expect(a.details).toContain('error_rate: 1 invalid value ignored (not a number, or negative)');
    expect(a.hints.map((h) => h.code)).toContain('invalid_values');
  });

  it('a rule metric that is never a number (a string, null) before or after is stored, not judged: no "missing after the deploy" attention', () => {
    const odd = (n: number) => series(n, healthy).map((s) => ({ metrics: { ...s.metrics, latency_p95: 'slow' } }));
    const a = analyze({ pre: odd(5), post: odd(10), rules });
    expect(a.verdict).toBe('ok');
    expect(a.metrics.map((m) => m.name)).not.toContain('latency_p95');
    expect(a.hints.map((h) => h.code)).not.toContain('metrics_missing_after_deploy');
    // Not silently: the details and a hint say it was never judged, and what to do.
    expect(a.details).toContain('latency_p95: reported 15 times, never as a number (or only negative): not judged');
    expect(a.hints).toContainEqual({ code: 'invalid_values', severity: 'warning', message: expect.stringContaining('latency_p95 never had a number, so it was not judged at all: report it as JSON numbers (finite: 1e999 reads as infinity).') });
    // A number before and none after is still the app no longer reporting it.
    expect(analyze({ pre: series(5, healthy), post: odd(10), rules }).verdict).toBe('attention');
  });

  it('counters that take turns (one URL in front of several processes) are not read: what only they reported is not judged, never ok; reported rates are judged with estimated counts', () => {
    const at = (s: number) => new Date(Date.UTC(2026, 11, 7) + s * 1000).toISOString();
    // Three healthy processes, each counting since its own start (100 requests and 1 error every 10 s), answering in turn.
    const started = [[90_000, 900], [40_000, 400], [7_000, 70]] as const;
    const behindOneUrl = (from: number, n: number, reported: Record<string, number> = {}): MetricSnapshot[] =>
      Array.from({ length: n }, (_, k) => {
        const i = from + k;
        const [requests, errors] = started[i % 3]!;
        return { timestamp: at(10 * i), metrics: { requests_total: requests + 100 * i, errors_total: errors + i, latency_p95: 120 + (i % 4), ...reported } };
      });
    const a = analyze({ pre: behindOneUrl(0, 12), post: behindOneUrl(12, 30), rules, intervalMs: 10_000 });
    expect(a.verdict).toBe('attention');
    expect(a.summary).toBe("Needs attention: error_rate, requests_per_sec could not be read (their counters are not one process's)");
    expect(a.metrics.map((m) => m.name)).toEqual(['latency_p95']);
    expect(a.details).toContain("requests_total: went down and back up 6 times before the deploy and 18 after: not one process's counter, nothing read from it");
    expect(a.details).toContain('error_rate: reported only through those counters: not judged');
    // Reported, if only through those counters: not "none of the known metrics was reported".
    const countersOnly = (from: number, n: number) => behindOneUrl(from, n).map((s) => ({ ...s, metrics: { requests_total: s.metrics.requests_total, errors_total: s.metrics.errors_total } }));
    const only = analyze({ pre: countersOnly(0, 12), post: countersOnly(12, 30), rules, intervalMs: 10_000 });
    expect(only.summary).toBe("Needs attention: error_rate, requests_per_sec could not be read (their counters are not one process's)");
    expect(only.details.join('\n')).not.toMatch(/None of the known metrics/);
    expect(a.hints).toContainEqual({ code: 'counters_not_monotonic', severity: 'warning', message: expect.stringContaining('error_rate, requests_per_sec were reported no other way and are not judged') });
    expect(a.hints.find((h) => h.code === 'counters_not_monotonic')!.message).toMatch(/give each instance its own --endpoint/);

    // The rates the app reports beside its counters are judged; the error counts are estimated, and said to be.
    const withRates = analyze({ pre: behindOneUrl(0, 12, { requests_per_sec: 10, error_rate: 0.01 }), post: behindOneUrl(12, 30, { requests_per_sec: 10, error_rate: 0.01 }), rules, intervalMs: 10_000 });
    expect(withRates.verdict).toBe('ok');
    expect(withRates.metrics.find((m) => m.name === 'error_rate')!.evidence.counts).toMatchObject({ estimated: true, pre_requests: 1200 });
    expect(withRates.hints).toContainEqual({ code: 'counters_not_monotonic', severity: 'warning', message: expect.stringContaining('judged, their counts estimated') });

    // Two instances summed, one of them missing from one PRE sample (a missed scrape): the fall and
    // the rise back are no counts (the rise was that instance's 40,000 requests since its start).
    const summed = (from: number, n: number, missedAt = -1): MetricSnapshot[] =>
      Array.from({ length: n }, (_, k) => {
        const i = from + k;
        const [requests, errors] = i === missedAt ? [90_000 + 100 * i, 900 + i] : [130_000 + 200 * i, 1300 + 2 * i];
        return { timestamp: at(10 * i), metrics: { requests_total: requests, errors_total: errors, latency_p95: 120 + (i % 4) } };
      });
    const missed = analyze({ pre: summed(0, 12, 5), post: summed(12, 30), rules, intervalMs: 10_000 });
    expect(missed.verdict).toBe('ok');
    expect(missed.metrics.find((m) => m.name === 'error_rate')!.evidence.counts).toMatchObject({ pre_events: 18, pre_requests: 1800, estimated: false });
    expect(missed.metrics.find((m) => m.name === 'requests_per_sec')).toMatchObject({ baseline: 20, current: 20 });

    // One process restarting in POST: still its counter, read exactly.
    const one = (from: number, n: number, restartAt = Number.POSITIVE_INFINITY): MetricSnapshot[] =>
      Array.from({ length: n }, (_, k) => {
        const i = from + k;
        const since = i >= restartAt ? i - restartAt : i + 900;
        return { timestamp: at(10 * i), metrics: { requests_total: 100 * since, errors_total: since, latency_p95: 120 + (i % 4) } };
      });
    const restarted = analyze({ pre: one(0, 12), post: one(12, 30, 20), rules, intervalMs: 10_000 });
    expect(restarted.verdict).toBe('ok');
    expect(restarted.hints.map((h) => h.code)).not.toContain('counters_not_monotonic');
    expect(restarted.metrics.find((m) => m.name === 'error_rate')!.evidence.counts).toMatchObject({ estimated: false });
  });

  it('no PRE sample at all -> never ok', () => {
    const a = analyze({ pre: [], post: series(10, healthy), rules, expected: { pre: 3, post: 10 } });
    expect(a.verdict).toBe('attention');
    expect(a.summary).toBe('Needs attention: no baseline could be collected before the deploy');
    expect(a.confidence).toBeLessThanOrEqual(0.5);
    expect(a.hints.map((h) => h.code)).toContain('no_baseline');
  });

  it('no POST sample at all -> no verdict', () => {
    const a = analyze({ pre: series(5, healthy), post: [], rules, failed: 10 });
    expect(a.verdict).toBeNull();
    expect(a.confidence).toBe(0);
  });

  it('most POST samples missing -> attention, not ok', () => {
    const a = analyze({ pre: series(5, healthy), post: series(3, healthy), rules, expected: { pre: 5, post: 30 }, failed: 27 });
    expect(a.verdict).toBe('attention');
    expect(a.summary).toBe('Needs attention: too many samples failed to judge with confidence');
    expect(a.details).toContain('27 samples failed (no endpoint answered)');
    expect(a.confidence).toBeLessThan(0.6);
    // Half the planned samples is not fewer than half: judged as usual.
    const half = analyze({ pre: series(5, healthy), post: series(15, healthy), rules, expected: { pre: 5, post: 30 }, failed: 1 });
    expect(half.verdict).toBe('ok');
    expect(half.details).toContain('1 sample failed (no endpoint answered)');
  });

  it('confidence falls with missing and few samples', () => {
    const full = analyze({ pre: series(5, healthy), post: series(30, healthy), rules, expected: { pre: 5, post: 30 } }).confidence;
    const some = analyze({ pre: series(5, healthy), post: series(20, healthy), rules, expected: { pre: 5, post: 30 } }).confidence;
    const few = analyze({ pre: series(1, healthy), post: series(2, healthy), rules, expected: { pre: 1, post: 2 } }).confidence;
    expect(full).toBeGreaterThan(some);
    expect(some).toBeGreaterThan(few);
    for (const c of [full, some, few]) expect(c).toBeGreaterThanOrEqual(0);
  });

  it('a metric with no value before the deploy is never a silent ok: attention, no baseline for it', () => {
    const { latency_p95: _late, ...rest } = healthy;
    const a = analyze({ pre: series(5, rest), post: series(10, healthy), rules });
    expect(a.metrics.find((m) => m.name === 'latency_p95')).toMatchObject({ status: 'no_baseline', baseline: null });
    expect(a.metrics.find((m) => m.name === 'latency_p95')!.current).toBeCloseTo(120, -1);
    expect(a.verdict).toBe('attention');
    expect(a.summary).toBe('Needs attention: no baseline for latency_p95');
  });

  it('none of the known metrics reported, before or after: attention, never ok', () => {
    const a = analyze({ pre: series(5, { custom: 1 }), post: series(10, { custom: 1 }), rules });
    expect(a.metrics).toEqual([]);
    expect(a.verdict).toBe('attention');
    expect(a.summary).toBe('Needs attention: none of the known metrics was reported');
    expect(a.details).toContain('None of the known metrics was reported by the endpoints');
    // With no PRE sample either, the missing baseline is what is said first.
    const bare = analyze({ pre: [], post: series(10, { custom: 1 }), rules });
    expect(bare.verdict).toBe('attention');
    expect(bare.summary).toBe('Needs attention: no baseline could be collected before the deploy');
    expect(bare.hints.map((h) => h.code)).toContain('no_baseline');
    expect(analyze({ pre: series(5, healthy), post: series(10, healthy), rules }).hints.map((h) => h.code)).not.toContain('no_baseline');
  });

  it('on_no_data: rollback concerns a metric that went missing, not one that kept reporting', () => {
    const strict = { ...rules, orders: { ...rules.cpu_usage!, direction: 'decrease' as const, on_no_data: 'rollback' as const, critical: false } };
    const a = analyze({ pre: series(5, { ...healthy, orders: 10 }), post: series(10, { ...healthy, orders: 10 }), rules: strict });
    expect(a.verdict).toBe('ok');
    const gone = analyze({ pre: series(5, { ...healthy, orders: 10 }), post: series(10, healthy), rules: strict });
    expect(gone.verdict).toBe('rollback_recommended');
    expect(gone.summary).toBe('No data after the deploy for orders, which the rules treat as a rollback');
    expect(gone.confidence).toBe(0.5);
  });

  it('invalid values are counted in the details, one or several', () => {
    const post = series(10, healthy);
    post[3] = { metrics: { ...healthy, error_rate: 'NaN' } };
    post[5] = { metrics: { ...healthy, error_rate: null } };
    expect(analyze({ pre: series(5, healthy), post, rules }).details).toContain('error_rate: 2 invalid values ignored (not a number, or negative)');
    expect(analyze({ pre: series(5, healthy), post: series(10, healthy), rules }).details.filter((d) => d.includes('invalid'))).toEqual([]);
  });

  it('metrics without a rule are not judged; rule metrics never reported are not listed', () => {
    const a = analyze({ pre: series(5, { error_rate: 0.01, custom: 1 }), post: series(5, { error_rate: 0.01, custom: 100 }), rules });
    expect(a.metrics.map((m) => m.name)).toEqual(['error_rate']);
  });
});

describe('aggregation of several endpoints', () => {
  it('means by default, sums traffic, and scales a sum when an endpoint failed', () => {
    const tick = aggregateTick(
      [
        { ok: true, metrics: { latency_p95: 100, requests_per_sec: 100, version: 'v1' } },
        { ok: true, metrics: { latency_p95: 200, requests_per_sec: 120 } },
        { ok: false },
      ],
      rules,
    );
    expect(tick?.metrics.latency_p95).toBe(150);
    expect(tick?.metrics.requests_per_sec).toBeCloseTo(330);
    expect(tick?.metrics.version).toBe('v1');
  });

  it('counters are summed across endpoints, and only when every endpoint answered (a total missing one is a fall no process counted)', () => {
    const a = { ok: true, metrics: { requests_total: 1000, errors_total: 10, latency_p95: 100 } };
    const b = { ok: true, metrics: { requests_total: 3000, errors_total: 30, latency_p95: 200 } };
    expect(aggregateTick([a, b], rules)?.metrics).toMatchObject({ requests_total: 4000, errors_total: 40, latency_p95: 150 });
    const partial = aggregateTick([a, b, { ok: false }], rules)!;
    expect(Object.hasOwn(partial.metrics, 'requests_total')).toBe(false);
    expect(Object.hasOwn(partial.metrics, 'errors_total')).toBe(false);
    expect(partial.metrics.latency_p95).toBe(150);
    // An instance that answers without counters (an older version) is left out, tick after tick alike.
    const older = { ok: true, metrics: { latency_p95: 120 } };
    expect(aggregateTick([a, b, older], rules)?.metrics).toMatchObject({ requests_total: 4000, errors_total: 40 });
  });

  it('no endpoint answered -> null', () => {
    expect(aggregateTick([{ ok: false }, { ok: false }], rules)).toBeNull();
  });

  it('a sum past the largest double is the largest double, a measurement, not Infinity', () => {
    const huge = { ok: true, metrics: { requests_per_sec: 1e308 } };
    expect(aggregateTick([huge, huge], rules)?.metrics.requests_per_sec).toBe(Number.MAX_VALUE);
    expect(aggregateTick([huge, huge, { ok: false }], rules)?.metrics.requests_per_sec).toBe(Number.MAX_VALUE);
  });
});

describe('exit codes (SPEC §7)', () => {
  it.each([
    [{ status: 'finished', verdict: 'ok' }, 'rollback', 0],
    [{ status: 'finished', verdict: 'attention' }, 'rollback', 0],
    [{ status: 'finished', verdict: 'attention' }, 'attention', 1],
    [{ status: 'finished', verdict: 'rollback_recommended' }, 'rollback', 1],
    [{ status: 'finished', verdict: 'rollback_recommended' }, 'never', 0],
    [{ status: 'finished', verdict: null }, 'rollback', 3],
    [{ status: 'deploy_failed', verdict: null }, 'rollback', 4],
    [{ status: 'interrupted', verdict: null, interruptedBy: 'SIGINT' }, 'rollback', 130],
    [{ status: 'interrupted', verdict: null, interruptedBy: 'SIGTERM' }, 'rollback', 143],
  ] as const)('%j with --fail-on %s -> %d', (outcome, failOn, code) => {
    expect(exitCodeFor(outcome, failOn)).toBe(code);
  });
});
