/** An endpoint that answered before the deploy and fails after it: the finding, its verdict, and its early decision. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/core/analyze.js';
import { earlyLook } from '../../src/core/early.js';
import { EndpointTally, endpointFailures, failureReason, failuresNeeded, judgeEndpoints, outageDecisive, type EndpointsInput, type OnEndpointFailure } from '../../src/core/outage.js';
import { DEFAULT_RULES } from '../../src/core/rules.js';
import { hypergeometricUpperTail } from '../../src/core/stats/binomial.js';
import type { MetricSnapshot, Phase } from '../../src/core/types.js';

const URL_A = 'http://10.0.0.1/ds-metrics';
const URL_B = 'http://10.0.0.2/ds-metrics';
const wobble = (i: number, pct: number) => 1 + pct * Math.sin(i * 2.3);
const snaps = (n: number, make: (i: number) => Record<string, unknown>): MetricSnapshot[] => Array.from({ length: n }, (_, i) => ({ metrics: make(i) }));
const healthy = (n: number) => snaps(n, (i) => ({ error_rate: 0.01 * wobble(i, 0.1), requests_per_sec: 200 * wobble(i, 0.03), latency_p95: 100 * wobble(i, 0.03) }));

/** A tally from per-tick outcomes: `pre` and `post` strings of `o` (answered) and `x` (failed), one character per tick. */
function tally(settle: number, endpoints: Record<string, { pre: string; post: string; error?: string }>): EndpointTally {
  const t = new EndpointTally(settle);
  for (const [endpoint, { pre, post, error = 'HTTP 500' }] of Object.entries(endpoints)) {
    const add = (phase: Phase, ticks: string) => [...ticks].forEach((c, seq) => t.add(phase, seq, { endpoint, ok: c === 'o', error: c === 'o' ? null : error, attempts: 1 }));
    add('pre', pre);
    add('post', post);
  }
  return t;
}

const input = (t: EndpointTally, planned: number, settle: number, action?: OnEndpointFailure): EndpointsInput => ({ list: t.list(), planned, settle, ...(action ? { action } : {}) });

describe('the failure test', () => {
  it("is Fisher's exact test: all 9 settled POST requests failed after 3 answered PRE ones is 1 in 220", () => {
    expect(hypergeometricUpperTail(9, 12, 9, 9)).toBeCloseTo(1 / 220, 12);
    // 5 failures among 12 requests, all 5 in the 9 POST ones: C(9,5) / C(12,5).
    expect(hypergeometricUpperTail(5, 12, 5, 9)).toBeCloseTo(126 / 792, 12);
    expect(hypergeometricUpperTail(0, 12, 5, 9)).toBe(1);
    expect(hypergeometricUpperTail(6, 12, 5, 9)).toBe(0);
  });
});

describe('an endpoint that fails after the deploy', () => {
  it('failing 28 of 30 POST requests after answering all 12 PRE ones is the finding, with what failed and how often', () => {
    const t = tally(3, { [URL_A]: { pre: 'o'.repeat(12), post: 'oo' + 'x'.repeat(28) } });
    const [f, ...rest] = endpointFailures(input(t, 30, 3), 0.05);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ endpoint: URL_A, pre: { answered: 12, requests: 12 }, post: { failed: 28, requests: 30 }, errors: { 'HTTP 500': 28 } });
    expect(f!.message).toBe(`${URL_A} failed 28 of 30 POST requests (HTTP 500: 28) after answering all 12 PRE requests`);
    expect(f!.p_value).toBeLessThan(1e-6);
  });

  it('an outage shorter than half the settled window (a restart, a failover) is not one', () => {
    const planned = 30;
    const needed = failuresNeeded(planned, 3);
    expect(needed).toBe(14);
    const short = tally(3, { [URL_A]: { pre: 'o'.repeat(12), post: 'xxx' + 'x'.repeat(needed - 1) + 'o'.repeat(planned - 3 - needed + 1) } });
    expect(endpointFailures(input(short, planned, 3), 0.05)).toEqual([]);
    const sustained = tally(3, { [URL_A]: { pre: 'o'.repeat(12), post: 'ooo' + 'x'.repeat(needed) + 'o'.repeat(planned - 3 - needed) } });
    expect(endpointFailures(input(sustained, planned, 3), 0.05)).toHaveLength(1);
  });

  it('settle-period failures (the restart) are shown, not counted', () => {
    const t = tally(3, { [URL_A]: { pre: 'o'.repeat(12), post: 'xxx' + 'x'.repeat(13) + 'o'.repeat(14) } });
    expect(endpointFailures(input(t, 30, 3), 0.05)).toEqual([]);
  });

  it('an endpoint as flaky before the deploy as after is not broken by it', () => {
    // 12 answers took 20 PRE requests (8 replaced); failing 14 of 27 after is no worse.
    const t = tally(3, { [URL_A]: { pre: 'oxoxoxoxoxoxoxoxoooo', post: 'ooo' + 'xo'.repeat(13) + 'x' } });
    expect(endpointFailures(input(t, 30, 3), 0.05)).toEqual([]);
  });

  it('an endpoint that never answered before the deploy is not judged (no baseline, as before)', () => {
    const t = tally(3, { [URL_A]: { pre: 'x'.repeat(12), post: 'x'.repeat(30) } });
    expect(endpointFailures(input(t, 30, 3), 0.05)).toEqual([]);
  });

  it('an endpoint with no PRE request at all (added after the baseline) is not judged either: it stopped doing nothing', () => {
    const t = tally(3, { [URL_A]: { pre: 'o'.repeat(12), post: 'o'.repeat(30) }, [URL_B]: { pre: '', post: 'x'.repeat(30) } });
    expect(judgeEndpoints(input(t, 30, 3), 0.05)).toEqual({ failing: [], unconfirmed: [], worse: [] });
    expect(analyze({ pre: healthy(12), post: healthy(30), rules: DEFAULT_RULES, endpoints: input(t, 30, 3) }).verdict).toBe('ok');
  });

  it("PRE's failed requests count in the test and in what is said: 9 of 9 settled POST requests failing after 10 answers in 12 PRE requests", () => {
    // Fisher: 11 failures among 21 requests, all 9 POST ones among them: C(11,9) / C(21,9) = 55 / 293930.
    const t = tally(3, { [URL_A]: { pre: 'oooooxoooooxoo'.slice(0, 12), post: 'ooo' + 'x'.repeat(9) } });
    const [f] = endpointFailures(input(t, 12, 3), 0.05);
    expect(f!.p_value).toBeCloseTo(55 / 293_930, 6); // 1.87e-4, to the three digits it is given with
    expect(f).toMatchObject({ pre: { answered: 10, requests: 12 }, post: { failed: 9, requests: 12 } });
    expect(f!.message).toBe(`${URL_A} failed 9 of 12 POST requests (HTTP 500: 9) after answering 10 of 12 PRE requests`);
  });

  it('the reasons said are the three most frequent, most frequent first', () => {
    const t = new EndpointTally(0);
    for (let i = 0; i < 12; i++) t.add('pre', i, { endpoint: URL_A, ok: true, attempts: 1 });
    const why = ['timeout after 5s', 'HTTP 502', 'HTTP 502', 'connection refused', 'HTTP 502', 'timeout after 5s', 'HTTP 500', 'HTTP 502', 'timeout after 5s', 'connection refused'];
    why.forEach((error, seq) => t.add('post', seq, { endpoint: URL_A, ok: false, error, attempts: 2 }));
    const [f] = endpointFailures({ list: t.list(), planned: 10, settle: 0 }, 0.05);
    expect(f!.message).toBe(`${URL_A} failed 10 of 10 POST requests (HTTP 502: 4, timeout: 3, connection refused: 2, ...) after answering all 12 PRE requests`);
    const three = new EndpointTally(0);
    for (let i = 0; i < 12; i++) three.add('pre', i, { endpoint: URL_A, ok: true, attempts: 1 });
    why.filter((w) => w !== 'HTTP 500').forEach((error, seq) => three.add('post', seq, { endpoint: URL_A, ok: false, error, attempts: 2 }));
    expect(endpointFailures({ list: three.list(), planned: 9, settle: 0 }, 0.05)[0]!.message).toMatch(/\(HTTP 502: 4, timeout: 3, connection refused: 2\) after/);
  });

  it('one instance of three that stopped answering is named, per endpoint, while the others keep every tick in data', () => {
    const t = tally(3, {
      [URL_A]: { pre: 'o'.repeat(12), post: 'o'.repeat(30) },
      [URL_B]: { pre: 'o'.repeat(12), post: 'ooo' + 'x'.repeat(27), error: 'connection refused' },
      'http://10.0.0.3/ds-metrics': { pre: 'o'.repeat(12), post: 'o'.repeat(30) },
    });
    expect(endpointFailures(input(t, 30, 3), 0.05).map((f) => f.message)).toEqual([`${URL_B} failed 27 of 30 POST requests (connection refused: 27) after answering all 12 PRE requests`]);
  });

  it('reasons are short and countable', () => {
    expect(failureReason('HTTP 503')).toBe('HTTP 503');
    expect(failureReason('timeout after 300ms')).toBe('timeout');
    expect(failureReason('timed out after 5000ms')).toBe('timeout');
    expect(failureReason('malformed body: not JSON')).toBe('malformed body');
    expect(failureReason('exit 1: boom | bang')).toBe('exit 1');
    expect(failureReason(null)).toBe('failed');
  });

  it('a rejected signature after the deploy is a configuration problem, not an outage', () => {
    const t = new EndpointTally(0);
    for (let i = 0; i < 12; i++) t.add('pre', i, { endpoint: URL_A, ok: true, attempts: 1 });
    for (let i = 0; i < 30; i++) t.add('post', i, { endpoint: '*', ok: false, error: 'rejected the signed request (HTTP 401)', attempts: 1 });
    expect(t.list()).toEqual([expect.objectContaining({ endpoint: URL_A, post: { answered: 0, failed: 0 } })]);
  });

  it('a sample no request was sent for is neither a failure nor an answer; what its error says does not decide that', () => {
    const t = new EndpointTally(0);
    for (let i = 0; i < 12; i++) t.add('pre', i, { endpoint: URL_A, ok: true, attempts: 1 });
    // The endpoint's Retry-After pause not over: no request, whatever the text.
    for (let i = 0; i < 10; i++) t.add('post', i, { endpoint: URL_A, ok: false, error: 'HTTP 429 earlier: not asked, Retry-After not over yet (1d left)', attempts: 0 });
    // A metrics command (or a redirect, a Prometheus error) can write anything: requests sent are failures.
    for (let i = 10; i < 20; i++) t.add('post', i, { endpoint: URL_A, ok: false, error: 'exit 1: not asked, Retry-After not over yet', attempts: 1 });
    expect(t.list()).toEqual([expect.objectContaining({ endpoint: URL_A, post: { answered: 0, failed: 10 }, errors: { 'exit 1': 10 } })]);
  });

  it('a tick held off by a 503\'s Retry-After is a failure (the endpoint said it is down until then); one held off by a 429 (throttled) or by the deadline is neither', () => {
    const t = new EndpointTally(0);
    for (let i = 0; i < 12; i++) t.add('pre', i, { endpoint: URL_A, ok: true, attempts: 1 });
    t.add('post', 0, { endpoint: URL_A, ok: false, error: 'HTTP 503', http_status: 503, attempts: 1 });
    for (let i = 1; i < 10; i++) t.add('post', i, { endpoint: URL_A, ok: false, error: 'HTTP 503 earlier: not asked, Retry-After not over yet (1s left)', http_status: 503, attempts: 0 });
    for (let i = 10; i < 15; i++) t.add('post', i, { endpoint: URL_A, ok: false, error: 'HTTP 429 earlier: not asked, Retry-After not over yet (1s left)', http_status: 429, attempts: 0 });
    t.add('post', 15, { endpoint: URL_A, ok: false, error: 'deadline passed before the first attempt', http_status: null, attempts: 0 });
    expect(t.list()).toEqual([expect.objectContaining({ endpoint: URL_A, post: { answered: 0, failed: 10 }, errors: { 'HTTP 503': 1, 'HTTP 503 earlier': 9 } })]);
  });

  it('a 429 answer is throttling, not a failure, with Retry-After or without: the same throttling counts the same way whether it asked for a pause', () => {
    const t = new EndpointTally(0);
    for (let i = 0; i < 12; i++) t.add('pre', i, { endpoint: URL_A, ok: true, attempts: 1 });
    for (let i = 0; i < 10; i++) t.add('post', i, { endpoint: URL_A, ok: false, error: 'HTTP 429', http_status: 429, attempts: 2 });
    t.add('post', 10, { endpoint: URL_A, ok: false, error: 'HTTP 500', http_status: 500, attempts: 2 });
    expect(t.list()).toEqual([expect.objectContaining({ endpoint: URL_A, post: { answered: 0, failed: 1 }, errors: { 'HTTP 500': 1 } })]);
  });
});

describe('the verdict', () => {
  const pre = healthy(12);
  const broken = tally(3, { [URL_A]: { pre: 'o'.repeat(12), post: 'x'.repeat(30) } });

  it('rollback_recommended by default, with the failure counts as the reason and a critical hint; never ok', () => {
    const a = analyze({ pre, post: [], rules: DEFAULT_RULES, endpoints: input(broken, 30, 3) });
    expect(a.verdict).toBe('rollback_recommended');
    expect(a.summary).toBe(`Endpoint failing after the deploy: ${URL_A} failed 30 of 30 POST requests (HTTP 500: 30) after answering all 12 PRE requests`);
    expect(a.hints).toEqual([{ code: 'endpoint_failing', severity: 'critical', message: expect.stringContaining(`${URL_A} failed 30 of 30`) }]);
    expect(a.failing_endpoints).toHaveLength(1);
    expect(a.details[0]).toMatch(/failed 30 of 30 POST requests .*; failure test p=/);
    expect(a.confidence).toBeGreaterThan(0.99);
  });

  it('with POST data from the other endpoints, the metrics still show, and a metric regression is named too', () => {
    const post = snaps(30, (i) => ({ error_rate: 0.05 * wobble(i, 0.1), requests_per_sec: 200 * wobble(i, 0.03), latency_p95: 100 * wobble(i, 0.03) }));
    const t = tally(3, { [URL_A]: { pre: 'o'.repeat(12), post: 'o'.repeat(30) }, [URL_B]: { pre: 'o'.repeat(12), post: 'x'.repeat(30) } });
    const a = analyze({ pre, post, rules: DEFAULT_RULES, endpoints: input(t, 30, 3) });
    expect(a.verdict).toBe('rollback_recommended');
    expect(a.summary).toMatch(new RegExp(`^Endpoint failing after the deploy: ${URL_B} failed 30 of 30 .*\\(also regressed: error_rate\\)$`));
    expect(a.metrics.find((m) => m.name === 'error_rate')?.status).toBe('regression');
  });

  it('on_endpoint_failure: attention gives attention, never ok, even when the other endpoints look healthy', () => {
    const t = tally(3, { [URL_A]: { pre: 'o'.repeat(12), post: 'o'.repeat(30) }, [URL_B]: { pre: 'o'.repeat(12), post: 'x'.repeat(30) } });
    const a = analyze({ pre, post: healthy(30), rules: DEFAULT_RULES, endpoints: input(t, 30, 3, 'attention') });
    expect(a.verdict).toBe('attention');
    expect(a.summary).toMatch(/^Needs attention: http:\/\/10\.0\.0\.2\/ds-metrics failed 30 of 30/);
    expect(a.hints.map((h) => h.code)).toContain('endpoint_failing');
    // Without the finding, the same samples are ok.
    expect(analyze({ pre, post: healthy(30), rules: DEFAULT_RULES }).verdict).toBe('ok');
  });

  it('on_endpoint_failure: no_verdict gives no verdict, unless the metrics show a rollback (which stands)', () => {
    const a = analyze({ pre, post: [], rules: DEFAULT_RULES, endpoints: input(broken, 30, 3, 'no_verdict') });
    expect(a.verdict).toBeNull();
    expect(a.confidence).toBe(0);
    expect(a.summary).toMatch(/^No verdict: .* failed 30 of 30 .*\(on_endpoint_failure: no_verdict\)$/);
    const post = snaps(30, (i) => ({ error_rate: 0.05 * wobble(i, 0.1), requests_per_sec: 80 * wobble(i, 0.03) }));
    expect(analyze({ pre, post, rules: DEFAULT_RULES, endpoints: input(broken, 30, 3, 'no_verdict') }).verdict).toBe('rollback_recommended');
  });

  it('one endpoint of three failing every POST request after answering its 2 PRE ones: too few to confirm, but attention with what failed, never ok', () => {
    // 5 planned ticks, 1 settling: 4 settled failures of 4 against 0 of 2 is p = 1/15, 0.2 once corrected for 3 endpoints.
    const URL_C = 'http://10.0.0.3/ds-metrics';
    const t = tally(1, { [URL_A]: { pre: 'oo', post: 'ooooo' }, [URL_B]: { pre: 'oo', post: 'ooooo' }, [URL_C]: { pre: 'oo', post: 'xxxxx', error: 'HTTP 503' } });
    const judged = judgeEndpoints(input(t, 5, 1), 0.05);
    expect(judged.failing).toEqual([]);
    expect(judged.unconfirmed).toEqual([expect.objectContaining({ endpoint: URL_C, post: { failed: 5, requests: 5 }, p_value: 0.2 })]);
    const a = analyze({ pre: healthy(2), post: healthy(5), rules: DEFAULT_RULES, endpoints: input(t, 5, 1) });
    expect(a.verdict).toBe('attention');
    const said = `${URL_C} failed 5 of 5 POST requests (HTTP 503: 5) after answering all 2 PRE requests`;
    expect(a.summary).toBe(`Needs attention: ${said} (too few requests to confirm it is the deploy)`);
    expect(a.details[0]).toBe(`${said}; more than half the settled window, but not significant (failure test p=0.2): attention`);
    expect(a.hints[0]).toMatchObject({ code: 'endpoint_failures_unconfirmed', severity: 'warning' });
    // Confidence is 1 - the failure test's p-value.
    expect(a.confidence).toBe(0.8);
    expect(a.failing_endpoints).toBeUndefined();
    // Without any POST data at all (a single endpoint), the same failures are still attention, not "no POST sample".
    const alone = tally(1, { [URL_C]: { pre: 'o', post: 'xxxxx' } });
    expect(analyze({ pre: healthy(1), post: [], rules: DEFAULT_RULES, endpoints: input(alone, 5, 1) })).toMatchObject({ verdict: 'attention', summary: expect.stringContaining(`${URL_C} failed 5 of 5`) });
  });

  it('an endpoint exactly as flaky after the deploy as before is not counted against it, even past the share', () => {
    // Half of its 20 PRE requests failed; half of its 28 settled POST ones (14, the share) failed too.
    const t = tally(3, { [URL_A]: { pre: 'ox'.repeat(10), post: 'ooo' + 'xo'.repeat(14) } });
    expect(judgeEndpoints(input(t, 31, 3), 0.05)).toEqual({ failing: [], unconfirmed: [], worse: [] });
    expect(analyze({ pre: healthy(12), post: healthy(31), rules: DEFAULT_RULES, endpoints: input(t, 31, 3) }).verdict).toBe('ok');
  });

  it('failing exactly the share, without passing the test, is already attention', () => {
    // 5 planned ticks, 1 settling: 3 failures (the share) of 4 settled requests after 2 answered PRE ones.
    const t = tally(1, { [URL_A]: { pre: 'oo', post: 'oxxxo' } });
    expect(failuresNeeded(5, 1)).toBe(3);
    expect(judgeEndpoints(input(t, 5, 1), 0.05).unconfirmed).toEqual([expect.objectContaining({ endpoint: URL_A, post: { failed: 3, requests: 5 } })]);
    expect(analyze({ pre: healthy(2), post: healthy(5), rules: DEFAULT_RULES, endpoints: input(t, 5, 1) }).verdict).toBe('attention');
  });

  it('an endpoint that failed more after the deploy than before, under the share, is said in the details; one no worse than before is not', () => {
    const t = tally(3, {
      [URL_A]: { pre: 'o'.repeat(12), post: 'ooo' + 'oxoooooooox' + 'o'.repeat(16) },
      // 8 of 20 PRE requests failed; 2 of 27 settled POST ones is better than before.
      [URL_B]: { pre: 'oxoxoxoxoxoxoxoxoooo', post: 'ooo' + 'x' + 'o'.repeat(25) + 'x' },
    });
    const judged = judgeEndpoints(input(t, 30, 3), 0.05);
    expect(judged).toMatchObject({ failing: [], unconfirmed: [], worse: [{ endpoint: URL_A, post: { failed: 2, requests: 30 } }] });
    const a = analyze({ pre, post: healthy(30), rules: DEFAULT_RULES, endpoints: input(t, 30, 3) });
    expect(a.verdict).toBe('ok');
    expect(a.details.filter((d) => d.includes('POST requests'))).toEqual([
      `${URL_A} failed 2 of 30 POST requests (HTTP 500: 2) after answering all 12 PRE requests; fewer than the 14 failures after the settle period that make a finding, so not counted against the deploy`,
    ]);
  });

  it('no POST sample and no endpoint that answered before: no verdict, as before', () => {
    const never = tally(3, { [URL_A]: { pre: 'x'.repeat(12), post: 'x'.repeat(30) } });
    const a = analyze({ pre: [], post: [], rules: DEFAULT_RULES, endpoints: input(never, 30, 3) });
    expect(a.verdict).toBeNull();
    expect(a.summary).toBe('No verdict: no POST sample could be collected');
    expect(a.failing_endpoints).toBeUndefined();
  });
});

describe('the early decision on a failing endpoint', () => {
  const pre = healthy(12);

  it('ends the window once half the settled window failed and the rest cannot undo it; a short outage that recovers never does', () => {
    const settle = 3;
    const planned = 30;
    const look = (post: string) => outageDecisive(input(tally(settle, { [URL_A]: { pre: 'o'.repeat(12), post } }), planned, settle), 0.05);
    expect(look('ooo' + 'x'.repeat(13))).toBeUndefined();
    expect(look('ooo' + 'x'.repeat(14))).toEqual([URL_A]);
    // Ten failures then answers again: never decisive, whatever comes after.
    expect(look('ooo' + 'x'.repeat(10) + 'o'.repeat(17))).toBeUndefined();
    // attention and no_verdict never end a window early.
    expect(outageDecisive(input(tally(settle, { [URL_A]: { pre: 'o'.repeat(12), post: 'x'.repeat(30) } }), planned, settle, 'attention'), 0.05)).toBeUndefined();
  });

  it('ends the window as soon as the rest cannot undo the finding: with 3 PRE answers, at the 7th of 9 settled failures', () => {
    // 12 planned ticks, 3 settling: 9 settled requests, 5 make the share. If the 2 still to come
    // answer, 7 failures of 9 after 3 answers is p = C(5,2) / C(12,9) = 10/220 < 0.05; at 6 failures,
    // 20/220 is not: the window goes on.
    const look = (post: string, endpoints = {}) => outageDecisive(input(tally(3, { [URL_A]: { pre: 'ooo', post }, ...endpoints }), 12, 3), 0.05);
    expect(look('ooo' + 'x'.repeat(6))).toBeUndefined();
    expect(look('ooo' + 'x'.repeat(7))).toEqual([URL_A]);
    expect(endpointFailures(input(tally(3, { [URL_A]: { pre: 'ooo', post: 'ooo' + 'x'.repeat(7) + 'oo' } }), 12, 3), 0.05)[0]!.p_value).toBeCloseTo(10 / 220, 3);
    // An endpoint that never answered before the deploy is not one of the tests corrected for.
    expect(look('ooo' + 'x'.repeat(7), { [URL_B]: { pre: 'xxx', post: 'x'.repeat(10) } })).toEqual([URL_A]);
  });

  it('never stops a window the full window would judge otherwise: once decisive, every continuation ends in the finding', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 20 }),
        fc.integer({ min: 5, max: 60 }),
        fc.integer({ min: 0, max: 5 }),
        fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }),
        fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }),
        (preAnswered, planned, settleMax, ticks, continuation) => {
          const settle = Math.min(settleMax, planned - 1);
          const pre = 'o'.repeat(preAnswered) + 'x';
          for (let k = 1; k <= planned; k++) {
            const sofar = ticks.slice(0, k).map((ok) => (ok ? 'o' : 'x')).join('');
            if (!outageDecisive(input(tally(settle, { [URL_A]: { pre, post: sofar } }), planned, settle), 0.05)) continue;
            const rest = continuation.slice(0, planned - k).map((ok) => (ok ? 'o' : 'x')).join('');
            const answered = 'o'.repeat(planned - k);
            for (const tail of [rest, answered]) expect(endpointFailures(input(tally(settle, { [URL_A]: { pre, post: sofar + tail } }), planned, settle), 0.05)).toHaveLength(1);
            // Cut short right there, the finding holds on what was collected.
            expect(endpointFailures(input(tally(settle, { [URL_A]: { pre, post: sofar } }), planned, settle), 0.05)).toHaveLength(1);
            return;
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the live state says how far the failures are from deciding it', () => {
    const t = tally(3, { [URL_A]: { pre: 'o'.repeat(12), post: 'ooo' + 'xxxx' } });
    const look = earlyLook({ pre, post: healthy(3), rules: DEFAULT_RULES, settle: 3, endpoints: input(t, 30, 3) }, { planned: 30 });
    expect(look).toEqual({ state: { kind: 'endpoint', endpoint: URL_A, failed: 4, needs: 14 } });
    const decided = earlyLook({ pre, post: healthy(3), rules: DEFAULT_RULES, settle: 3, endpoints: input(tally(3, { [URL_A]: { pre: 'o'.repeat(12), post: 'ooo' + 'x'.repeat(14) } }), 30, 3) }, { planned: 30 });
    expect(decided).toEqual({ decisive: [URL_A], state: { kind: 'decisive', metrics: [URL_A], endpoints: true } });
  });
});

describe('what the early decision waits for', () => {
  const pre = healthy(12);
  const errorsUp = (n: number) => snaps(n, (i) => ({ error_rate: 0.05 * wobble(i, 0.1), requests_per_sec: 200 * wobble(i, 0.03), latency_p95: 100 * wobble(i, 0.03) }));

  it('settling, then the first look, then a lone critical regression holding towards its hold', () => {
    const at = (n: number) => earlyLook({ pre, post: errorsUp(n), rules: DEFAULT_RULES, intervalMs: 10_000, settle: 2 }, { planned: 60 }).state;
    expect(at(1)).toEqual({ kind: 'settling', done: 1, of: 2 });
    expect(at(2)).toEqual({ kind: 'settling', done: 2, of: 2 });
    expect(at(4)).toEqual({ kind: 'waiting', first: 5 });
    expect(at(8)).toEqual({ kind: 'holding', metrics: ['error_rate'], held: 6, needs: 12, alone: true });
    expect(at(14)).toEqual({ kind: 'decisive', metrics: ['error_rate'] });
  });

  it('the settle period is ticks since the deploy: ticks that got no data use it up, and the first look follows from the ticks', () => {
    // 2 settle ticks, both failed: no sample is set aside, and the first sample after them is judged.
    const at = (n: number, done: number, settling: number) => earlyLook({ pre, post: errorsUp(n), rules: DEFAULT_RULES, intervalMs: 10_000, settle: settling }, { planned: 60, ticks: { done, settle: 2 } }).state;
    expect(at(0, 1, 0)).toEqual({ kind: 'settling', done: 1, of: 2 });
    expect(at(0, 2, 0)).toEqual({ kind: 'settling', done: 2, of: 2 });
    // Tick 3 has the first sample: the look needs 3 settled samples, so tick 5 if the next two get data.
    expect(at(1, 3, 0)).toEqual({ kind: 'waiting', first: 5 });
    // Counted in samples, the same window would still be "settling, 1 of 2".
    expect(earlyLook({ pre, post: errorsUp(1), rules: DEFAULT_RULES, intervalMs: 10_000, settle: 2 }, { planned: 60 }).state).toEqual({ kind: 'settling', done: 1, of: 2 });
    // Failed ticks pushed the first look past the window's end: nothing to wait for (it said "looks from POST sample 9" of 6).
    const late = earlyLook({ pre, post: errorsUp(1), rules: DEFAULT_RULES, intervalMs: 10_000, settle: 0 }, { planned: 6, ticks: { done: 6, settle: 2 } }).state;
    expect(late).toEqual({ kind: 'quiet' });
  });

  it('a regression not yet significant at the look says its p-value and what the look needs', () => {
    // Latency and errors up modestly: past their thresholds, not strong enough for a long window's looks.
    const modest = snaps(8, (i) => ({ error_rate: 0.016 * wobble(i, 0.05), requests_per_sec: 200 * wobble(i, 0.03), latency_p95: 150 * wobble(i, 0.03) }));
    const state = earlyLook({ pre, post: modest, rules: DEFAULT_RULES, intervalMs: 10_000, settle: 2 }, { planned: 100_000 }).state;
    // latency_p95 is significant already, but not critical: the critical error_rate is what the look waits for.
    expect(state).toMatchObject({ kind: 'not_decisive', metric: 'error_rate', needs: 0.005 / (100_000 - 5 + 1) });
    if (state.kind !== 'not_decisive') throw new Error('unreachable');
    expect(state.p).toBeGreaterThan(state.needs);
  });
});
