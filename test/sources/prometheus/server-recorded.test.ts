/**
 * The prometheus source against a recorded-response server (recorded-api.ts): every answer shape
 * Prometheus gives, and every failure, with real HTTP on loopback.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AuthError, UsageError } from '../../../src/errors.js';
import { createPrometheusSource, type PrometheusOptions } from '../../../src/sources/prometheus/server.js';
import type { CollectRequest, EndpointResult } from '../../../src/sources/types.js';
import { apiError, emptyVector, matrix, scalar, startRecordedApi, vector, type Answer, type RecordedApi } from './recorded-api.js';

const ERRORS = 'sum(rate(http_requests_total{status=~"5.."}[1m])) / sum(rate(http_requests_total[1m]))';
const P95 = 'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[1m]))) * 1000';

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((x) => x.close()));
});

async function api(script: Record<string, Answer[]>, prefix = ''): Promise<RecordedApi> {
  const a = await startRecordedApi(script, prefix);
  open.push(a);
  return a;
}

function source(url: string, queries: Record<string, string>, opts: Partial<PrometheusOptions> = {}) {
  const s = createPrometheusSource({ url, queries, timeoutMs: 2_000, retries: 2, userAgent: 'seqpulse/test', ...opts });
  open.unshift(s);
  return s;
}

const tick = (budgetMs = 10_000): CollectRequest => ({ phase: 'pre', deploymentId: 'dep-1', deadline: Date.now() + budgetMs });

async function one(s: ReturnType<typeof source>, req = tick()): Promise<EndpointResult> {
  const results = await s.collect(req);
  expect(results).toHaveLength(1);
  return results[0]!;
}

describe('collect: one instant query per metric', () => {
  it('reads a one-series vector and a scalar into one sample for the server', async () => {
    const a = await api({ [ERRORS]: [{ body: vector('0.0125') }], 'scalar(up)': [{ body: scalar('1') }] });
    const before = Date.now();
    const r = await one(source(a.url, { error_rate: ERRORS, up: 'scalar(up)' }));
    expect(r).toMatchObject({ endpoint: a.url, ok: true, http_status: 200, attempts: 1, metrics: { error_rate: 0.0125, up: 1 } });
    expect(r.error).toBeUndefined();
    expect(Date.parse(r.taken_at)).toBeGreaterThanOrEqual(before);
    const req = a.requestsFor(ERRORS)[0]!;
    expect(req.path).toBe('/api/v1/query');
    expect(req.params.get('timeout')).toBe('2s');
    expect(req.headers).toMatchObject({ accept: 'application/json', 'user-agent': 'seqpulse/test' });
  });

  it('an empty result, NaN, +Inf and several series are absent, each with a note; the sample stays ok', async () => {
    const several = { status: 'success', data: { resultType: 'vector', result: [vector('1', { pod: 'a' }).data.result[0], vector('2', { pod: 'b' }).data.result[0]] } };
    const a = await api({
      [ERRORS]: [{ body: vector('NaN') }],
      [P95]: [{ body: vector('+Inf') }],
      'sum(rate(orders_total[1m]))': [{ body: emptyVector }],
      'rate(x[1m])': [{ body: several }],
      'sum(up)': [{ body: vector('3') }],
    });
    const r = await one(source(a.url, { error_rate: ERRORS, latency_p95: P95, orders: 'sum(rate(orders_total[1m]))', x: 'rate(x[1m])', up: 'sum(up)' }));
    expect(r).toMatchObject({ ok: true, metrics: { up: 3 } });
    expect(Object.keys(r.metrics!)).toEqual(['up']);
    expect(r.error).toBe(
      [
        'error_rate: value is NaN (no value)',
        'latency_p95: value is +Inf (no value)',
        'orders: empty result',
        'x: returned 2 series, expected one: aggregate in the query (sum(...), max(...) or avg(...))',
      ].join('; '),
    );
  });

  it('surfaces warnings and infos (partial responses) without failing the sample', async () => {
    const warned = { ...vector('0.5'), warnings: ['remote read: store 10.0.0.7:10901 unavailable, the result may be partial'], infos: ['PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "errors"'] };
    const a = await api({ 'sum(rate(errors[1m]))': [{ body: warned }] });
    const r = await one(source(a.url, { errors: 'sum(rate(errors[1m]))' }));
    expect(r).toMatchObject({ ok: true, metrics: { errors: 0.5 } });
    expect(r.error).toBe(
      'errors: warning: remote read: store 10.0.0.7:10901 unavailable, the result may be partial; errors: info: PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "errors"',
    );
  });

  it('a bad query (400 bad_data) is not retried, and the error names the metric, the reason and the query', async () => {
    const a = await api({
      'sum(rate(x[1m])': [{ status: 400, body: apiError('bad_data', 'invalid parameter "query": 1:16: parse error: unclosed left parenthesis') }],
      'sum(up)': [{ body: vector('2') }],
    });
    const r = await one(source(a.url, { broken: 'sum(rate(x[1m])', up: 'sum(up)' }));
    expect(r).toMatchObject({ ok: true, metrics: { up: 2 } });
    expect(r.error).toBe('broken: query rejected (HTTP 400 bad_data: invalid parameter "query": 1:16: parse error: unclosed left parenthesis). Fix the PromQL: sum(rate(x[1m])');
    expect(a.requestsFor('sum(rate(x[1m])')).toHaveLength(1);
  });

  it('an execution error (422) is not retried either', async () => {
    const a = await api({ 'sum(x)': [{ status: 422, body: apiError('execution', 'query processing would load too many samples into memory in query execution') }] });
    const r = await one(source(a.url, { x: 'sum(x)' }));
    expect(r).toMatchObject({ ok: false, http_status: 422, attempts: 1 });
    expect(r.error).toBe('x: query rejected (HTTP 422 execution: query processing would load too many samples into memory in query execution). Fix the PromQL: sum(x)');
  });

  it('503 (query timeout) and 429 are retried; Retry-After is honoured', async () => {
    const a = await api({
      'sum(a)': [{ status: 503, body: apiError('timeout', 'query timed out in expression evaluation'), headers: { 'retry-after': '0' } }, { body: vector('1') }],
      'sum(b)': [{ status: 429, raw: 'slow down', headers: { 'retry-after': '0' } }, { body: vector('2') }],
    });
    const r = await one(source(a.url, { a: 'sum(a)', b: 'sum(b)' }));
    expect(r).toMatchObject({ ok: true, metrics: { a: 1, b: 2 }, attempts: 2 });
    expect(a.requestsFor('sum(a)')).toHaveLength(2);
  });

  it('a 429 with Retry-After holds the server across ticks: no query is sent before the pause ends (SPEC 4)', async () => {
    const a = await api({ 'sum(a)': [{ status: 429, raw: 'slow down', headers: { 'retry-after': '2' } }, { body: vector('1') }] });
    const s = source(a.url, { a: 'sum(a)' });
    expect(await one(s, tick(300))).toMatchObject({ ok: false, http_status: 429, attempts: 1 });
    // The next tick ends before the pause: nothing is sent, and the result says why.
    const held = await one(s, tick(300));
    expect(held).toMatchObject({ ok: false, http_status: 429, attempts: 0 });
    expect(held.error).toMatch(/^a: HTTP 429 earlier: not asked, Retry-After not over yet \(\d+(\.\d+)?(ms|s) left\)$/);
    expect(a.requestsFor('sum(a)')).toHaveLength(1);
    // A tick that reaches past the pause waits for it, then asks.
    const started = Date.now();
    expect(await one(s, tick(4_000))).toMatchObject({ ok: true, metrics: { a: 1 }, attempts: 1 });
    expect(a.requestsFor('sum(a)')).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
  });

  it("a 429 with Retry-After to one query holds the others' retries in the same tick: the pause is the server's", async () => {
    const a = await api({
      'sum(a)': [{ status: 429, raw: 'slow down', headers: { 'retry-after': '1' } }, { body: vector('1') }],
      'sum(b)': [{ status: 500, raw: 'internal error' }, { body: vector('2') }],
    });
    const r = await one(source(a.url, { a: 'sum(a)', b: 'sum(b)' }), tick(5_000));
    expect(r).toMatchObject({ ok: true, metrics: { a: 1, b: 2 } });
    const [limited] = a.requestsFor('sum(a)');
    const retried = [a.requestsFor('sum(a)')[1]!, a.requestsFor('sum(b)')[1]!];
    for (const q of retried) expect(q.at - limited!.at).toBeGreaterThanOrEqual(1_000 - 5);
  });

  it('a Retry-After beyond the tick is not waited for', async () => {
    const a = await api({ 'sum(a)': [{ status: 503, body: apiError('unavailable', 'too many queries'), headers: { 'retry-after': '120' } }, { body: vector('1') }] });
    const r = await one(source(a.url, { a: 'sum(a)' }), tick(5_000));
    expect(r).toMatchObject({ ok: false, attempts: 1, http_status: 503, error: 'a: HTTP 503 unavailable: too many queries' });
  });

  it('a server failing every time: a failed sample after the retries', async () => {
    const a = await api({ 'sum(a)': [{ status: 500, raw: '<html>bad gateway</html>' }] });
    const r = await one(source(a.url, { a: 'sum(a)' }, { retries: 2 }));
    expect(r).toMatchObject({ ok: false, attempts: 3, http_status: 500, error: 'a: HTTP 500' });
  });

  it('a 200 that is not the API (a proxy page) is malformed, retried', async () => {
    const a = await api({ 'sum(a)': [{ raw: '<html>login</html>' }, { body: vector('4') }] });
    const r = await one(source(a.url, { a: 'sum(a)' }));
    expect(r).toMatchObject({ ok: true, attempts: 2, metrics: { a: 4 } });
  });

  it('a server that does not answer: timeout, within the tick', async () => {
    const a = await api({ 'sum(a)': [{ hang: true }] });
    const r = await one(source(a.url, { a: 'sum(a)' }, { timeoutMs: 200, retries: 1 }));
    expect(r).toMatchObject({ ok: false, attempts: 2, error: 'a: timeout after 200ms' });
  });

  it('a wrong URL (404) says what prometheus_url must be', async () => {
    const a = await api({ 'sum(a)': [{ body: vector('1') }] });
    const r = await one(source(`${a.url}/graph`, { a: 'sum(a)' }));
    expect(r).toMatchObject({ ok: false, attempts: 1, http_status: 404 });
    expect(r.error).toBe("a: HTTP 404: no Prometheus API here; prometheus_url must be the server's base URL (http://prometheus:9090)");
  });

  it('keeps a path prefix (a server behind a reverse proxy)', async () => {
    const a = await api({ 'sum(a)': [{ body: vector('1') }] }, '/prometheus');
    const r = await one(source(`${a.url}/`, { a: 'sum(a)' }));
    expect(r).toMatchObject({ ok: true, metrics: { a: 1 } });
    expect(a.requests[0]!.path).toBe('/prometheus/api/v1/query');
  });

  it('refuses an empty query list or an empty query at creation', () => {
    expect(() => createPrometheusSource({ url: 'http://127.0.0.1:9/', queries: {}, timeoutMs: 1_000, retries: 0, userAgent: 'x' })).toThrow(UsageError);
    expect(() => createPrometheusSource({ url: 'http://127.0.0.1:9/', queries: { a: ' ' }, timeoutMs: 1_000, retries: 0, userAgent: 'x' })).toThrow('query a: the PromQL is empty');
  });
});

describe('credentials', () => {
  it('sends the bearer token; a 401 throws AuthError at once and the token appears nowhere', async () => {
    const a = await api({ 'sum(a)': [{ status: 401, raw: 'Unauthorized' }], 'sum(b)': [{ body: vector('1') }] });
    const s = source(a.url, { a: 'sum(a)', b: 'sum(b)' }, { token: 'tok-3f9a' });
    const err = await s.collect(tick()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(String((err as Error).message)).not.toContain('tok-3f9a');
    expect(a.requestsFor('sum(a)')).toHaveLength(1);
    expect(a.requestsFor('sum(a)')[0]!.headers.authorization).toBe('Bearer tok-3f9a');
  });

  it('sends URL userinfo as basic auth and shows the URL redacted', async () => {
    const a = await api({ 'sum(a)': [{ status: 500, raw: 'x' }] });
    const r = await one(source(a.url.replace('http://', 'http://reader:hunter2@'), { a: 'sum(a)' }, { retries: 0 }));
    expect(r.endpoint).toBe(a.url.replace('http://', 'http://***@'));
    expect(JSON.stringify(r)).not.toContain('hunter2');
    expect(a.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from('reader:hunter2').toString('base64')}`);
  });
});

describe('backfill: one range query per metric', () => {
  it('one sample per step, oldest first, aligned on the steps, taken_at the step time', async () => {
    const a = await api({
      'sum(a)': [{ body: matrix((t) => String(t % 1000)) }],
      // Points missing before some time, e.g. a metric that did not exist yet.
      'sum(b)': [{ body: matrix((t) => (t % 60 >= 30 ? '7' : undefined)) }],
    });
    const now = 1_763_990_000_000;
    const samples = await source(a.url, { a: 'sum(a)', b: 'sum(b)' }).backfill({ rangeMs: 60_000, stepMs: 10_000, now, deadline: Date.now() + 10_000 });

    expect(samples).toHaveLength(7);
    expect(samples.map((s) => s.length)).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect(samples.map((s) => s[0]!.taken_at)).toEqual([60, 50, 40, 30, 20, 10, 0].map((back) => new Date(now - back * 1000).toISOString()));
    expect(samples.map((s) => s[0]!.metrics!.a)).toEqual([60, 50, 40, 30, 20, 10, 0].map((back) => ((now - back * 1000) / 1000) % 1000));
    expect(samples.map((s) => s[0]!.metrics!.b)).toEqual([60, 50, 40, 30, 20, 10, 0].map((back) => ((now - back * 1000) / 1000) % 60 >= 30 ? 7 : undefined));
    const req = a.requestsFor('sum(a)')[0]!;
    expect(req.path).toBe('/api/v1/query_range');
    expect(Object.fromEntries(['start', 'end', 'step'].map((k) => [k, req.params.get(k)]))).toEqual({ start: '1763989940.000', end: '1763990000.000', step: '10.000' });
  });

  it('a failed range query leaves that metric out of every step, saying why; a NaN point is left out', async () => {
    const a = await api({
      'sum(a)': [{ status: 400, body: apiError('bad_data', 'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)') }],
      'sum(b)': [{ body: matrix((t) => (t % 20 === 0 ? 'NaN' : '1')) }],
    });
    const now = 1_763_990_000_000;
    const samples = await source(a.url, { a: 'sum(a)', b: 'sum(b)' }).backfill({ rangeMs: 30_000, stepMs: 10_000, now, deadline: Date.now() + 10_000 });
    expect(samples.map((s) => s[0]!.ok)).toEqual([true, false, true, false]);
    expect(samples.map((s) => s[0]!.metrics?.b)).toEqual([1, undefined, 1, undefined]);
    for (const s of samples) expect(s[0]!.error).toContain('a: query rejected (HTTP 400 bad_data: exceeded maximum resolution');
    expect(samples[0]![0]!.error).toContain('b: 2 point(s) NaN or infinite, left out');
  });

  it('401 throws AuthError', async () => {
    const a = await api({ 'sum(a)': [{ status: 403, raw: 'forbidden' }] });
    await expect(source(a.url, { a: 'sum(a)' }).backfill({ rangeMs: 60_000, stepMs: 10_000, now: Date.now(), deadline: Date.now() + 5_000 })).rejects.toBeInstanceOf(AuthError);
  });
});
