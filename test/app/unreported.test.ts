/** Rules whose metric the app never reports, and the "did you mean" that names the likely typo. */
import { describe, expect, it } from 'vitest';
import { describeUnreported, suspicious, unreportedAfterPre, unreportedRules } from '../../src/app/unreported.js';
import { DEFAULT_RULES, rule } from '../../src/core/rules.js';
import { closestNames } from '../../src/suggest.js';

describe('closestNames', () => {
  it('takes any number of candidates: 238,328 names within 3 edits (all an app reported) give the closest, no RangeError', () => {
    const alphabet = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
    const near: string[] = [];
    for (const x of alphabet) for (const y of alphabet) for (const z of alphabet) near.push(`latency_p99${x}${y}${z}`);
    expect(closestNames('latency_p99', near)).toEqual(['latency_p99000', 'latency_p99001']);
    expect(closestNames('latency_p99', [...near, 'latency_p9'])).toEqual(['latency_p9']);
  });

  it('finds the typo, ignores case and - vs _, and offers only the closest', () => {
    expect(closestNames('latency_p59', ['latency_p95', 'cpu_usage'])).toEqual(['latency_p95']);
    // A swapped pair is two edits: the one-edit name first, the swap next to it.
    expect(closestNames('latency_p59', ['latency_p95', 'latency_p99', 'latency_p50'])).toEqual(['latency_p50', 'latency_p99']);
    expect(closestNames('latency_p59', ['latency_p95', 'latency_p99'])).toEqual(['latency_p99', 'latency_p95']);
    expect(closestNames('error_rat', ['error_rate', 'error_rates', 'error_ratio_total'])).toEqual(['error_rate', 'error_rates']);
    expect(closestNames('latency_p9', ['latency_p95', 'latency_p99'])).toEqual(['latency_p95', 'latency_p99']);
    expect(closestNames('pre-samples', ['pre_samples', 'persist'])).toEqual(['pre_samples']);
    expect(closestNames('WINDOW', ['window', 'timeout'])).toEqual(['window']);
    expect(closestNames('frobnicate', ['window', 'timeout'])).toEqual([]);
    expect(closestNames('window', ['window'])).toEqual([]);
  });
});

describe('unreportedRules', () => {
  const rules = { ...DEFAULT_RULES, latency_p59: rule('increase', 30) };
  const reported = ['error_rate', 'latency_p95', 'requests_per_sec', 'orders.eu'];

  it('names each rule no sample reported, whether the config names it, and a close reported or known name', () => {
    const found = unreportedRules({ ...rules, orders: rule('decrease', 20) }, reported, ['latency_p59']);
    expect(found.map((u) => u.metric)).toEqual(['latency_p99', 'cpu_usage', 'memory_usage', 'db_connections', 'latency_p59']);
    expect(found.find((u) => u.metric === 'latency_p59')).toEqual({ metric: 'latency_p59', configured: true, suggestions: ['latency_p95'] });
    // A default rule the app does not report is not a typo (nothing close is reported): not configured, no suggestion.
    expect(found.find((u) => u.metric === 'cpu_usage')).toEqual({ metric: 'cpu_usage', configured: false, suggestions: [] });
  });

  it('a config that writes out the default rules (as init does) does not make them typos: no did-you-mean, not flagged', () => {
    // init lists every default rule, each exactly as the default: they count as default rules.
    const written = Object.keys(DEFAULT_RULES);
    const found = unreportedRules({ ...DEFAULT_RULES }, ['error_rate', 'latency_p95', 'requests_per_sec'], written);
    expect(found.find((u) => u.metric === 'latency_p99')).toEqual({ metric: 'latency_p99', configured: false, suggestions: [] });
    expect(suspicious(found)).toEqual([]);
    expect(unreportedAfterPre({ ...DEFAULT_RULES }, written, [{ ok: true, metrics: { error_rate: 0, latency_p95: 1, requests_per_sec: 1 } }])).toBeUndefined();
  });

  it('a known metric with settings of its own is flagged, but never as a typo of a name its own rule judges', () => {
    const rules = { ...DEFAULT_RULES, latency_p99: rule('increase', 25) };
    const found = unreportedRules(rules, ['error_rate', 'latency_p95', 'requests_per_sec', 'latency_p99_ms'], Object.keys(DEFAULT_RULES));
    // latency_p95 is reported and judged by its own rule: not a suggestion; latency_p99_ms is read by nothing: it is.
    expect(found.find((u) => u.metric === 'latency_p99')).toEqual({ metric: 'latency_p99', configured: true, suggestions: ['latency_p99_ms'] });
    expect(suspicious(found).map((u) => u.metric)).toEqual(['latency_p99']);
  });

  it('a name nobody knows is still a typo, even of a name the defaults judge, next to init\'s default rules', () => {
    const rules = { ...DEFAULT_RULES, latency_p59: rule('increase', 30) };
    const found = unreportedRules(rules, ['error_rate', 'latency_p95', 'requests_per_sec'], [...Object.keys(DEFAULT_RULES), 'latency_p59']);
    expect(suspicious(found)).toEqual([{ metric: 'latency_p59', configured: true, suggestions: ['latency_p95'] }]);
    expect(describeUnreported(suspicious(found)[0]!)).toBe('latency_p59 (did you mean latency_p95?)');
  });

  it('run warns once after PRE about the suspicious ones only, and only when PRE had an answer', () => {
    const pre = [{ ok: true, metrics: Object.fromEntries(reported.map((n) => [n, 1])) }, { ok: false, metrics: null }];
    const warning = unreportedAfterPre(rules, ['latency_p59'], pre);
    expect(warning).toMatch(/^No PRE sample reported latency_p59 \(did you mean latency_p95\?\): its rule judges nothing in this run\. A metric that is never reported is not judged at all: the verdict is made without it and can still be ok\./);
    expect(warning).not.toMatch(/cpu_usage/);
    expect(unreportedAfterPre(rules, ['latency_p59'], [{ ok: false, metrics: null }])).toBeUndefined();
    expect(unreportedAfterPre(DEFAULT_RULES, [], pre)).toBeUndefined();
    // The app's name is the misspelt one: a default rule close to a reported name is flagged too.
    expect(unreportedAfterPre(DEFAULT_RULES, [], [{ ok: true, metrics: { error_rates: 0.01, latency_p95: 1 } }])).toMatch(/error_rate \(did you mean error_rates\?\)/);
  });
});
