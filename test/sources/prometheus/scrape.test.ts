/**
 * prometheus-scrape against a real app exposing real prom-client metrics (metrics-app.ts): the
 * test drives a known number of requests, errors and latencies between scrapes and checks the
 * derived metrics against the truth. Rates are checked exactly against the scrapes' own elapsed
 * time (taken_at), so nothing here depends on how fast the machine is.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthError, UsageError } from '../../../src/errors.js';
import { createScrapeSource, type ScrapeOptions } from '../../../src/sources/prometheus/scrape.js';
import type { CollectRequest, EndpointResult, MetricSource } from '../../../src/sources/types.js';
import { startMetricsApp, type MetricsApp, type MetricsAppOptions } from './metrics-app.js';

const QUERIES = {
  error_rate: 'rate(http_requests_total{status=~"5.."}) / rate(http_requests_total)',
  requests_per_sec: 'rate(http_requests_total)',
  latency_p50: 'quantile(0.5, http_request_duration_seconds) * 1000',
  latency_p95: 'quantile(0.95, http_request_duration_seconds) * 1000',
  latency_p99: 'quantile(0.99, http_request_duration_seconds{route="/work"}) * 1000',
  inflight: 'http_requests_in_flight',
};
/** One bucket of LATENCY_BUCKETS (10 ms), in ms, plus float slack: the most interpolation inside a bucket can be off. */
const QUANTILE_TOLERANCE_MS = 10.01;

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((x) => x.close()));
});

async function app(opts: MetricsAppOptions = {}): Promise<MetricsApp> {
  const a = await startMetricsApp(opts);
  open.push(a);
  return a;
}

function source(targets: string[], opts: Partial<ScrapeOptions> = {}): MetricSource {
  const s = createScrapeSource({ targets, queries: QUERIES, timeoutMs: 2_000, retries: 1, userAgent: 'seqpulse/test', ...opts });
  open.unshift(s);
  return s;
}

const tick = (phase: 'pre' | 'post' = 'pre'): CollectRequest => ({ phase, deploymentId: 'dep-1', deadline: Date.now() + 10_000 });

async function one(s: MetricSource, req = tick()): Promise<EndpointResult> {
  const results = await s.collect(req);
  expect(results).toHaveLength(1);
  return results[0]!;
}

const elapsedSeconds = (a: EndpointResult, b: EndpointResult) => (Date.parse(b.taken_at) - Date.parse(a.taken_at)) / 1000;

/** Deterministic latencies: exponential, mean 150 ms, capped under 1 s, 4 decimals (what the app is sent). */
function latencies(n: number, seed: number): number[] {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: n }, () => Number(Math.min(0.999, -Math.log(1 - random()) * 0.15).toFixed(4)));
}

/** The exact q-quantile of the observations (nearest rank), in ms. */
function trueQuantileMs(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]! * 1000;
}

describe('derived metrics from real prom-client metrics', () => {
  it('first scrape: gauges only; second: error rate, request rate and p50/p95/p99 of what happened in between', async () => {
    const a = await app();
    const s = source([a.metricsUrl]);
    // Traffic before the first scrape is slow: if it leaked into the quantiles, they would be far off.
    await a.drive(50, () => 200, () => 0.95);
    a.setInflight(3);

    const first = await one(s);
    expect(first).toMatchObject({ endpoint: a.metricsUrl, ok: true, http_status: 200, attempts: 1 });
    expect(first.metrics).toEqual({ inflight: 3 });

    const seconds = latencies(400, 42);
    await a.drive(400, (i) => (i % 10 === 0 ? 500 : i % 25 === 1 ? 503 : 200), (i) => seconds[i]!);
    a.setInflight(5);
    const second = await one(s);

    const m = second.metrics as Record<string, number>;
    const errors = 40 + 16;
    expect(m.error_rate).toBeCloseTo(errors / 400, 12);
    expect(m.requests_per_sec! * elapsedSeconds(first, second)).toBeCloseTo(400, 6);
    expect(m.inflight).toBe(5);
    for (const [name, q] of [['latency_p50', 0.5], ['latency_p95', 0.95], ['latency_p99', 0.99]] as const) {
      expect(Math.abs(m[name]! - trueQuantileMs(seconds, q)), `${name}: ${m[name]} vs ${trueQuantileMs(seconds, q)}`).toBeLessThanOrEqual(QUANTILE_TOLERANCE_MS);
    }
  });

  it('reads OpenMetrics the same way', async () => {
    const a = await app({ openMetrics: true });
    const s = source([a.metricsUrl]);
    await one(s);
    const seconds = latencies(200, 7);
    await a.drive(200, (i) => (i < 30 ? 502 : 200), (i) => seconds[i]!);
    const r = await one(s);
    expect(a.scrapes[0]!.accept).toContain('application/openmetrics-text');
    expect(r.metrics!.error_rate).toBeCloseTo(30 / 200, 12);
    expect(Math.abs((r.metrics!.latency_p95 as number) - trueQuantileMs(seconds, 0.95))).toBeLessThanOrEqual(QUANTILE_TOLERANCE_MS);
  });

  it('rates are per phase: the first POST tick has none, and a POST rate never spans the deploy', async () => {
    const a = await app();
    const s = source([a.metricsUrl]);
    const pre1 = await one(s, tick('pre'));
    await a.drive(100, () => 200, () => 0.01);
    const pre2 = await one(s, tick('pre'));
    expect(pre2.metrics!.requests_per_sec! as number * elapsedSeconds(pre1, pre2)).toBeCloseTo(100, 6);

    await a.drive(70, () => 500, () => 0.5); // the deploy: neither PRE nor POST
    const post1 = await one(s, tick('post'));
    expect(Object.keys(post1.metrics!)).toEqual(['inflight']);

    await a.drive(30, () => 200, () => 0.2);
    const post2 = await one(s, tick('post'));
    expect(post2.metrics!.requests_per_sec! as number * elapsedSeconds(post1, post2)).toBeCloseTo(30, 6);
    expect(post2.metrics!.error_rate).toBe(0);
  });

  it('handles a counter reset: after a restart the increase is the new value', async () => {
    const a = await app();
    const s = source([a.metricsUrl]);
    await a.drive(60, () => 200, () => 0.1);
    const before = await one(s);
    a.restart();
    await a.drive(25, (i) => (i < 5 ? 500 : 200), () => 0.3);
    const after = await one(s);
    expect((after.metrics!.requests_per_sec as number) * elapsedSeconds(before, after)).toBeCloseTo(25, 6);
    expect(after.metrics!.error_rate).toBeCloseTo(5 / 25, 12);
    expect(after.metrics!.latency_p50).toBeCloseTo(295, 6); // all 25 in the (0.29, 0.30] bucket: 0.29 + 0.01 * 12.5 / 25
  });

  it('a restart the page says (process_start_time_seconds moved): that tick has gauges only, never the new process\'s count taken for an increase; the next has rates again', async () => {
    const a = await app({ processStart: 1_765_000_000 });
    const s = source([a.metricsUrl]);
    await a.drive(60, () => 200, () => 0.1);
    await one(s);
    a.restart();
    await a.drive(25, (i) => (i < 5 ? 500 : 200), () => 0.3);
    a.setInflight(3);
    const restarted = await one(s);
    expect(restarted.metrics).toEqual({ inflight: 3 });
    await a.drive(40, () => 200, () => 0.2);
    const next = await one(s);
    expect((next.metrics!.requests_per_sec as number) * elapsedSeconds(restarted, next)).toBeCloseTo(40, 6);
    expect(next.metrics!.error_rate).toBe(0);
  });

  it('one URL in front of two processes answering in turn: each rate is taken against the same process\'s last page, and is that process\'s own', async () => {
    const [p, q] = [await app({ processStart: 1_765_000_000 }), await app({ processStart: 1_765_000_500 })];
    await p.drive(500, () => 200, () => 0.1);
    let turn = 0;
    // A round-robin front, as a Kubernetes Service or a load balancer is.
    const front = createServer((req, res) => {
      const behind = turn++ % 2 === 0 ? p : q;
      fetch(`${behind.url}${req.url}`).then(
        async (r) => res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'text/plain' }).end(Buffer.from(await r.arrayBuffer())),
        () => res.writeHead(502).end(),
      );
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    open.push({ close: () => new Promise<void>((resolve) => front.close(() => resolve())) });
    const s = source([`http://127.0.0.1:${(front.address() as AddressInfo).port}/metrics`]);
    const first = [await one(s), await one(s)];
    // Neither process has a page before its own first one: no rate from the other's 500 requests.
    for (const r of first) expect(r.metrics).not.toHaveProperty('requests_per_sec');
    await p.drive(30, (i) => (i < 3 ? 500 : 200), () => 0.1);
    await q.drive(10, () => 200, () => 0.1);
    const [fromP, fromQ] = [await one(s), await one(s)];
    expect((fromP.metrics!.requests_per_sec as number) * elapsedSeconds(first[0]!, fromP)).toBeCloseTo(30, 6);
    expect(fromP.metrics!.error_rate).toBeCloseTo(3 / 30, 12);
    expect((fromQ.metrics!.requests_per_sec as number) * elapsedSeconds(first[1]!, fromQ)).toBeCloseTo(10, 6);
    expect(fromQ.metrics!.error_rate).toBe(0);
  });

  it('a series the page does not have is absent, never 0; a declared counter with no errors yet is a 0 error rate', async () => {
    const a = await app();
    const s = source([a.metricsUrl], {
      queries: { ...QUERIES, cache_hit_ratio: 'rate(cache_hits_total) / rate(cache_lookups_total)', queue: 'queue_depth', slow_route: 'quantile(0.5, http_request_duration_seconds{route="/slow"})' },
    });
    await one(s);
    await a.drive(20, () => 200, () => 0.05);
    const r = await one(s);
    expect(r.ok).toBe(true);
    expect(r.metrics).not.toHaveProperty('cache_hit_ratio');
    expect(r.metrics).not.toHaveProperty('queue');
    expect(r.metrics).not.toHaveProperty('slow_route');
    expect(r.metrics!.error_rate).toBe(0);
  });

  it('no traffic between two scrapes: no error rate and no quantile (0/0 is no value), a request rate of 0', async () => {
    const a = await app();
    const s = source([a.metricsUrl]);
    await a.drive(10, () => 200, () => 0.05);
    await one(s);
    const idle = await one(s);
    expect(idle.metrics).toEqual({ requests_per_sec: 0, inflight: 0 });
  });

  it('samples several targets at once, one result each, in order', async () => {
    const [a, b] = await Promise.all([app(), app()]);
    a.setInflight(1);
    b.setInflight(2);
    const results = await source([a.metricsUrl, b.metricsUrl]).collect(tick());
    expect(results.map((r) => [r.endpoint, r.metrics!.inflight])).toEqual([
      [a.metricsUrl, 1],
      [b.metricsUrl, 2],
    ]);
  });
});

describe('failures', () => {
  it('a malformed page is a failed sample naming the line, retried', async () => {
    const a = await app();
    a.override = { status: 200, body: 'http_requests_total{status="200" 5\n' };
    const r = await one(source([a.metricsUrl], { retries: 2 }));
    expect(r).toMatchObject({ ok: false, attempts: 3, http_status: 200 });
    expect(r.error).toBe('malformed metrics page: line 1: expected "," or "}" after label status');
    expect(a.scrapes).toHaveLength(3);
  });

  it('a page that is not UTF-8 (a Latin-1 label value) is a failed sample naming the byte, not a series whose label holds U+FFFD', async () => {
    const a = await app();
    a.override = { status: 200, body: Buffer.concat([Buffer.from('http_requests_total{status="200"} 5\nhttp_requests_in_flight{route="/caf'), Buffer.from([0xe9]), Buffer.from('"} 1\n')]) };
    const r = await one(source([a.metricsUrl], { retries: 0 }));
    expect(r).toMatchObject({ ok: false, http_status: 200 });
    expect(r.error).toBe('malformed metrics page: line 2: not UTF-8 text: byte 0xe9 at column 36 (byte offset 71 of the body)');
  });

  it('a histogram bucket whose le is not a number fails the scrape naming it (le="0x10" was read as a bucket at 16: a p95 of seconds from observations under 0.1 s)', async () => {
    const a = await app();
    const page = (n: number, le: string) => `# TYPE http_request_duration_seconds histogram\nhttp_request_duration_seconds_bucket{le="0.1"} ${n}\nhttp_request_duration_seconds_bucket{le="${le}"} ${n}\nhttp_request_duration_seconds_bucket{le="+Inf"} ${n}\n`;
    const s = source([a.metricsUrl], { retries: 0, queries: { latency_p95: 'quantile(0.95, http_request_duration_seconds)' } });
    a.override = { status: 200, body: page(10, '0.5') };
    expect(await one(s)).toMatchObject({ ok: true, metrics: {} });
    a.override = { status: 200, body: page(20, '0.5') };
    expect((await one(s)).metrics!.latency_p95).toBeCloseTo(0.095);
    a.override = { status: 200, body: page(30, '0x10') };
    expect(await one(s)).toMatchObject({ ok: false, error: 'malformed metrics page: line 3: invalid le "0x10" for http_request_duration_seconds_bucket (a bucket\'s upper bound is a number or +Inf)' });
  });

  it('a series with a label twice fails the scrape naming it: {status="500",status="200"} passed for the 200s, and the real 200s were then dropped as its duplicate', async () => {
    const a = await app();
    a.override = { status: 200, body: '# TYPE http_requests_total counter\nhttp_requests_total{status="500",status="200"} 10\nhttp_requests_total{status="200"} 100\n' };
    const r = await one(source([a.metricsUrl], { retries: 0 }));
    expect(r).toMatchObject({ ok: false, error: 'malformed metrics page: line 2: label status twice in one series' });
  });

  it('a 404 is not retried', async () => {
    const a = await app();
    const r = await one(source([`${a.url}/metricz`], { retries: 3 }));
    expect(r).toMatchObject({ ok: false, attempts: 1, http_status: 404, error: 'HTTP 404' });
  });

  it('a 429 with Retry-After holds the target across ticks: nothing is scraped before the pause ends (SPEC 4)', async () => {
    const a = await app();
    const s = source([a.metricsUrl], { retries: 0 });
    const soon = (ms: number): CollectRequest => ({ phase: 'pre', deploymentId: 'dep-1', deadline: Date.now() + ms });
    a.override = { status: 429, body: 'slow down', headers: { 'retry-after': '2' } };
    expect(await one(s, soon(300))).toMatchObject({ ok: false, http_status: 429, attempts: 1 });
    a.override = undefined;
    // The next tick ends before the pause: nothing is sent, and the result says why.
    const held = await one(s, soon(300));
    expect(held).toMatchObject({ ok: false, http_status: 429, attempts: 0 });
    expect(held.error).toMatch(/^HTTP 429 earlier: not asked, Retry-After not over yet \(\d+(\.\d+)?(ms|s) left\)$/);
    expect(a.scrapes).toHaveLength(1);
    // A tick that reaches past the pause waits for it, then scrapes.
    const started = Date.now();
    expect(await one(s, soon(4_000))).toMatchObject({ ok: true, attempts: 1 });
    expect(a.scrapes).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
  });

  it('a failed scrape does not break the next rate: it is taken against the last good scrape', async () => {
    const a = await app();
    const s = source([a.metricsUrl], { retries: 0 });
    const first = await one(s);
    await a.drive(40, () => 200, () => 0.05);
    a.override = { status: 500, body: 'boom' };
    expect((await one(s)).ok).toBe(false);
    a.override = undefined;
    const third = await one(s);
    expect((third.metrics!.requests_per_sec as number) * elapsedSeconds(first, third)).toBeCloseTo(40, 6);
  });

  it('refuses an invalid expression at creation, naming the query and the position', () => {
    const create = () => createScrapeSource({ targets: ['http://127.0.0.1:1/metrics'], queries: { p95: 'quantile(95, h)' }, timeoutMs: 1_000, retries: 0, userAgent: 'x' });
    expect(create).toThrow(UsageError);
    expect(create).toThrow('query p95: at position 10: the quantile must be between 0 and 1 (got 95; for p95 write 0.95) in "quantile(95, h)"');
    expect(() => createScrapeSource({ targets: ['ftp://x/metrics'], queries: QUERIES, timeoutMs: 1_000, retries: 0, userAgent: 'x' })).toThrow(UsageError);
  });
});

describe('auth', () => {
  it('sends the bearer token, and it never appears in results', async () => {
    const a = await app({ requireAuthorization: 'Bearer s3cr3t-token' });
    const r = await one(source([a.metricsUrl], { token: 's3cr3t-token' }));
    expect(r.ok).toBe(true);
    expect(a.scrapes[0]!.authorization).toBe('Bearer s3cr3t-token');
    expect(a.scrapes[0]!['user-agent']).toBe('seqpulse/test');
    expect(JSON.stringify(r)).not.toContain('s3cr3t');
  });

  it('sends URL userinfo as basic auth, and shows the URL redacted', async () => {
    const a = await app({ requireAuthorization: `Basic ${Buffer.from('scraper:p@ss w0rd').toString('base64')}` });
    const url = a.metricsUrl.replace('http://', 'http://scraper:p%40ss%20w0rd@');
    const r = await one(source([url]));
    expect(r).toMatchObject({ ok: true, endpoint: a.metricsUrl.replace('http://', 'http://***@') });
  });

  it('401 throws AuthError at once (not retried), without the token in the message', async () => {
    const a = await app({ requireAuthorization: 'Bearer right' });
    const s = source([a.metricsUrl], { token: 'wrong-token', retries: 3 });
    const err = await s.collect(tick()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as AuthError).message).toBe(`${a.metricsUrl} rejected the request (HTTP 401): the bearer token (SEQPULSE_SOURCE_TOKEN) or the user:password in the URL is wrong or missing`);
    expect((err as AuthError).message + (err as AuthError).hint).not.toContain('wrong-token');
    expect(a.scrapes).toHaveLength(1);
  });
});
