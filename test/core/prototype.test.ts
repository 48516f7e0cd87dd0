/**
 * `__proto__`, `constructor`, `prototype`, `toString` are metric names like any other: stored,
 * merged across endpoints as data, judged only by a rule of that name, never read through a
 * prototype (issue 16). Objects as they come from JSON.parse, the store and the sources.
 */
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/file.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { aggregateTick } from '../../src/core/aggregate.js';
import { ABSENT, INVALID, NUMBER, PhaseColumns } from '../../src/core/columns.js';
import { DEFAULT_RULES } from '../../src/core/rules.js';
import { runSeries } from '../../src/app/series.js';
import { parseSampleText } from '../../src/sources/sample-file.js';
import { toMetricsRecord } from '../../src/sources/metrics-record.js';
import { analyze } from '../../src/core/analyze.js';

const poisoned = () => JSON.parse('{"requests_per_sec": 100, "__proto__": {"error_rate": 0.9}, "constructor": 5, "toString": "x"}') as Record<string, unknown>;

describe('prototype names in metrics', () => {
  it('merging endpoints keeps __proto__ as a plain key: the merged sample has no prototype and no error_rate', () => {
    for (const b of [poisoned(), toMetricsRecord(poisoned())]) {
      const merged = aggregateTick([{ ok: true, metrics: { requests_per_sec: 100 } }, { ok: true, metrics: b }], DEFAULT_RULES)!;
      expect(Object.getPrototypeOf(merged.metrics)).toBeNull();
      expect(Object.keys(merged.metrics).sort()).toEqual(['__proto__', 'constructor', 'requests_per_sec', 'toString']);
      expect(merged.metrics.error_rate).toBeUndefined();
      expect(merged.metrics.requests_per_sec).toBe(200);
    }
  });

  it('a column for `constructor` or `toString` reads only what the sample holds', () => {
    const plain = { metrics: { requests_per_sec: 1 } }; // an ordinary object, as JSON.parse of a stored sample gives
    const cols = PhaseColumns.from([plain, { metrics: poisoned() }], ['constructor', 'toString', 'valueOf', '__proto__']);
    expect([...cols.column('constructor').state]).toEqual([ABSENT, NUMBER]);
    expect([...cols.column('toString').state]).toEqual([ABSENT, INVALID]);
    expect([...cols.column('valueOf').state]).toEqual([ABSENT, ABSENT]);
    expect([...cols.column('__proto__').state]).toEqual([ABSENT, INVALID]);
  });

  it('sample files keep them as metric names; series show only what was reported', () => {
    const [snapshot] = parseSampleText('s.json', '{"metrics": {"__proto__": {"error_rate": 1}, "constructor": 2}}');
    expect(Object.getPrototypeOf(snapshot!.metrics)).toBeNull();
    expect(snapshot!.metrics.error_rate).toBeUndefined();
    expect(snapshot!.metrics.constructor).toBe(2);
    const series = runSeries([{ id: '1', run_id: 'r', phase: 'pre', seq: 0, endpoint: 'e', scheduled_at: '', taken_at: '', ok: true, http_status: 200, error: null, attempts: 1, latency_ms: 1, metrics: { a: 1 } }, { id: '2', run_id: 'r', phase: 'pre', seq: 1, endpoint: 'e', scheduled_at: '', taken_at: '', ok: true, http_status: 200, error: null, attempts: 1, latency_ms: 1, metrics: { constructor: 3 } }], DEFAULT_RULES);
    expect(series.byMetric['constructor']!.pre).toEqual([null, 3]);
    expect(series.byMetric.a!.pre).toEqual([1, null]);
  });

  it('a rule may be called constructor or prototype, and judges only that metric', () => {
    const file = parseConfigText('seqpulse.yml', 'metrics:\n  constructor: { threshold: 10 }\n  prototype: { threshold: 20, direction: decrease }\n');
    const config = resolveConfig({ env: {}, flags: {}, defaultProject: 'p', file });
    expect(Object.keys(config.rules)).toEqual(expect.arrayContaining(['constructor', 'prototype', 'error_rate']));
    expect(config.rules.constructor).toMatchObject({ threshold: 10 });
    expect(config.rules.prototype).toMatchObject({ threshold: 20, direction: 'decrease' });
    expect(config.rules.toString).toBeUndefined();
  });

  it('a rule (and a query) may be called __proto__: kept from the file, its environments and flags, validated like any other', () => {
    const file = parseConfigText('seqpulse.yml', 'metrics:\n  __proto__: { threshold: 10, critical: true }\nenvironments:\n  prod:\n    metrics:\n      __proto__: { threshold: 40 }\n');
    const config = resolveConfig({ env: {}, flags: {}, defaultProject: 'p', file });
    expect(Object.hasOwn(config.rules, '__proto__')).toBe(true);
    expect(config.rules['__proto__']).toMatchObject({ threshold: 10, critical: true });
    expect(Object.getPrototypeOf(config.rules)).toBeNull();
    expect(config.configuredRules).toContain('__proto__');
    const prod = resolveConfig({ env: { SEQPULSE_ENV: 'prod' }, flags: {}, defaultProject: 'p', file });
    expect(prod.rules['__proto__']).toMatchObject({ threshold: 40, critical: true });

    const queried = resolveConfig({ env: {}, flags: { source: 'prometheus', query: ['__proto__=up'] }, defaultProject: 'p', file });
    expect(queried.source).toMatchObject({ type: 'prometheus' });
    expect(Object.hasOwn((queried.source as { queries: object }).queries, '__proto__')).toBe(true);

    const bad = parseConfigText('seqpulse.yml', 'metrics:\n  __proto__: { threshold: -1, treshold: 5 }\n');
    expect(() => resolveConfig({ env: {}, flags: {}, defaultProject: 'p', file: bad })).toThrow(/seqpulse\.yml:2: metrics\.__proto__\.threshold: .*\n.*metrics\.__proto__\.treshold: unknown key/);
  });

  it('a metric called __proto__ is judged by its rule, from the config file to the verdict: a regression of it alone is a rollback', () => {
    const file = parseConfigText('seqpulse.yml', 'metrics:\n  __proto__: { threshold: 10, critical: true }\n');
    const config = resolveConfig({ env: {}, flags: {}, defaultProject: 'p', file });
    const phase = (value: number) => parseSampleText('s.json', JSON.stringify(Array.from({ length: 8 }, (_, i) => JSON.parse(`{"metrics": {"requests_per_sec": 100, "__proto__": ${value + (i % 3)}}}`))));
    const analysis = analyze({ pre: phase(100), post: phase(200), rules: config.rules, intervalMs: 1000 });
    expect(analysis.metrics.find((m) => m.name === '__proto__')).toMatchObject({ status: 'regression' });
    expect(analysis.verdict).toBe('rollback_recommended');
  });
});
