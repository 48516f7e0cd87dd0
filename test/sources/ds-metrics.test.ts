/**
 * The ds-metrics source against a real HTTP app (test/helpers/test-app.ts): no HTTP mocks.
 * Timing is asserted on what the app recorded; synchronisation goes through the app's
 * waitForRequests and `wait` faults, never through sleeps.
 */
import { createServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthError, UsageError } from '../../src/errors.js';
import { abortableSleep, createDsMetricsSource, type DsMetricsSourceOptions } from '../../src/sources/ds-metrics.js';
import type { CollectRequest, EndpointResult, MetricSource } from '../../src/sources/types.js';
import { TEST_DNS_SERVERS_VAR } from '../../src/net/lookup.js';
import { startDns } from '../helpers/test-dns.js';
import { DEFAULT_METRICS, startTestApp, TEST_SECRET, type TestApp, type TestAppOptions } from '../helpers/test-app.js';

const UA = 'seqpulse/0.0.0-test';
const open: Array<{ close(): Promise<void> }> = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((x) => x.close()));
});

async function app(opts: TestAppOptions = {}): Promise<TestApp> {
  const a = await startTestApp(opts);
  open.push(a);
  return a;
}

function source(endpoints: string[], opts: Partial<DsMetricsSourceOptions> = {}): MetricSource {
  const s = createDsMetricsSource({ endpoints, secret: TEST_SECRET, timeoutMs: 500, userAgent: UA, random: () => 0, ...opts });
  open.unshift(s); // closed before the apps
  return s;
}

function tick(budgetMs: number, extra: Partial<CollectRequest> = {}): CollectRequest {
  return { phase: 'pre', deploymentId: 'dep-123', deadline: Date.now() + budgetMs, ...extra };
}

async function one(s: MetricSource, req: CollectRequest): Promise<EndpointResult> {
  const results = await s.collect(req);
  expect(results).toHaveLength(1);
  return results[0]!;
}

function expectCleanSignatures(a: TestApp): void {
  expect(a.requests.map((r) => r.verify)).toEqual(a.requests.map(() => ({ ok: true })));
  expect(a.anyNonceRepeated()).toBe(false);
  expect(new Set(a.requests.map((r) => r.nonce)).size).toBe(a.requests.length);
}

describe('a healthy endpoint', () => {
  it('returns its metrics from one signed GET with the protocol headers', async () => {
    const a = await app();
    const before = Date.now();
    const r = await one(source([a.url]), tick(2_000, { phase: 'post', deploymentId: 'dep-xyz' }));

    expect(r).toMatchObject({ endpoint: a.url, ok: true, metrics: DEFAULT_METRICS, http_status: 200, attempts: 1 });
    expect(r.error).toBeUndefined();
    expect(r.latency_ms).toBeGreaterThanOrEqual(0);
    expect(Date.parse(r.taken_at)).toBeGreaterThanOrEqual(before - 1_000);
    expect(a.requests).toHaveLength(1);
    const req = a.requests[0]!;
    expect(req).toMatchObject({ method: 'GET', target: '/ds-metrics', signatureValid: true, phase: 'post', deploymentId: 'dep-xyz' });
    expect(req.headers['user-agent']).toBe(UA);
    expect(req.headers.accept).toBe('application/json');
    expect(req.headers['x-seqpulse-signature']).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(req.headers['x-seqpulse-nonce']).toMatch(/^[0-9a-f]{32}$/);
  });

  it('signs the path and query exactly as sent', async () => {
    const a = await app({ path: '/internal/ds-metrics?instance=a%20b&x=1' });
    const r = await one(source([a.url]), tick(2_000));
    expect(r.ok).toBe(true);
    expect(a.requests[0]).toMatchObject({ target: '/internal/ds-metrics?instance=a%20b&x=1', signatureValid: true });
  });

  it('passes non-numeric values through untouched', async () => {
    const a = await app({ metrics: (n, phase) => ({ error_rate: 0.02, version: 'v1.2.3', n, phase, nested: { a: 1 } }) });
    const r = await one(source([a.url]), tick(2_000, { phase: 'post' }));
    expect(r.metrics).toEqual({ error_rate: 0.02, version: 'v1.2.3', n: 1, phase: 'post', nested: { a: 1 } });
  });

  it('signs with every secret during a rotation, and an app holding either accepts', async () => {
    const oldApp = await app({ secret: 'old-secret' });
    const newApp = await app({ secret: 'new-secret' });
    const results = await source([oldApp.url, newApp.url], { secret: ['old-secret', 'new-secret'] }).collect(tick(2_000));
    expect(results.map((r) => r.ok)).toEqual([true, true]);
    expect(oldApp.requests[0]!.headers['x-seqpulse-signature']).toMatch(/^v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
  });
});

describe('retries', () => {
  it('503 then 200 is ok after 2 attempts, each with its own valid signature', async () => {
    const a = await app();
    a.queueFault({ kind: 'status', status: 503 });
    const r = await one(source([a.url]), tick(2_000));
    expect(r).toMatchObject({ ok: true, attempts: 2, metrics: DEFAULT_METRICS });
    expect(a.requests.map((x) => x.response)).toEqual(['status', 'healthy']);
    expectCleanSignatures(a);
  });

  it('every retry carries a fresh nonce and a valid signature', async () => {
    const a = await app();
    a.queueFault({ kind: 'status', status: 500 }, 2);
    a.queueFault({ kind: 'reset' });
    a.queueFault({ kind: 'malformed' });
    const r = await one(source([a.url], { retries: 4 }), tick(3_000));
    expect(r).toMatchObject({ ok: true, attempts: 5 });
    expect(a.requests).toHaveLength(5);
    expectCleanSignatures(a);
  });

  it('gives up after the configured retries with the last error', async () => {
    const a = await app({ mode: { kind: 'status', status: 503 } });
    const r = await one(source([a.url], { retries: 2 }), tick(2_000));
    expect(r).toMatchObject({ ok: false, error: 'HTTP 503', http_status: 503, attempts: 3 });
    expect(r.metrics).toBeUndefined();
    expect(a.requests).toHaveLength(3);
  });

  it('defaults to 3 retries (4 attempts)', async () => {
    const a = await app({ mode: { kind: 'status', status: 500 } });
    const r = await one(source([a.url], { retries: undefined }), tick(3_000));
    expect(r).toMatchObject({ ok: false, error: 'HTTP 500', attempts: 4 });
  });

  it('waits between attempts with full-jitter exponential backoff', async () => {
    const a = await app({ mode: { kind: 'status', status: 502 } });
    const sleeps: number[] = [];
    const r = await one(
      source([a.url], { retries: 3, random: () => 0.5, sleep: async (ms) => void sleeps.push(ms) }),
      tick(3_000),
    );
    expect(r.attempts).toBe(4);
    expect(sleeps).toEqual([50, 100, 200]);
  });

  it('does not retry a 404 (a wrong URL stays wrong)', async () => {
    const a = await app();
    const r = await one(source([a.url.replace('/ds-metrics', '/nope')]), tick(2_000));
    expect(r).toMatchObject({ ok: false, error: 'HTTP 404', http_status: 404, attempts: 1 });
    expect(a.requests).toHaveLength(1);
  });

  it('does not follow a redirect, to another host or not: the signature and credentials go nowhere else, and the error says where it pointed', async () => {
    const elsewhere = await app();
    // Where it points carries the credentials it was given, as a proxy echoing them may.
    const redirector = createServer((_req, res) => res.writeHead(302, { location: elsewhere.url.replace('127.0.0.1', 'user:pa55word@localhost') }).end());
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    open.push({ close: () => new Promise<void>((resolve) => redirector.close(() => resolve())) });
    const url = `http://user:pa55word@127.0.0.1:${(redirector.address() as AddressInfo).port}/ds-metrics`;
    const r = await one(source([url]), tick(2_000));
    expect(r).toMatchObject({ ok: false, http_status: 302, attempts: 1 });
    expect(r.error).toBe(`HTTP 302: a redirect to ${elsewhere.url.replace('127.0.0.1', '***@localhost')}, not followed; if that is the right URL, configure it instead`);
    expect(elsewhere.requests).toHaveLength(0);
  });

  it('retries a connection reset', async () => {
    const a = await app();
    a.queueFault({ kind: 'reset' });
    const r = await one(source([a.url]), tick(2_000));
    expect(r).toMatchObject({ ok: true, attempts: 2 });
    expectCleanSignatures(a);
  });

  it('reports a persistent reset as such', async () => {
    const a = await app({ mode: { kind: 'reset' } });
    const r = await one(source([a.url], { retries: 1 }), tick(2_000));
    expect(r).toMatchObject({ ok: false, error: 'connection reset', attempts: 2 });
  });

  it.each([
    ['headers past what an HTTP client reads', () => `HTTP/1.1 200 OK\r\n${'X-Junk: '.concat('a'.repeat(8000), '\r\n').repeat(20)}\r\n{}`, /^invalid HTTP response: headers too large$/],
    ['an SSH banner instead of a status line', () => 'SSH-2.0-OpenSSH_9.6\r\n\r\n', /^invalid HTTP response \(.+\)$/],
  ])('an answer that is not HTTP (%s) is said in words, not as a library code', async (_what, answer, said) => {
    const raw = createNetServer((socket) => {
      socket.on('error', () => undefined);
      socket.once('data', () => socket.end(answer()));
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    open.push({ close: () => new Promise<void>((resolve) => raw.close(() => resolve())) });
    const r = await one(source([`http://127.0.0.1:${(raw.address() as AddressInfo).port}/ds-metrics`], { retries: 0 }), tick(2_000));
    expect(r).toMatchObject({ ok: false, attempts: 1 });
    expect(r.error).toMatch(said);
  });

  it('reports a refused connection', async () => {
    const a = await app();
    const url = a.url;
    await a.close();
    const r = await one(source([url], { retries: 1 }), tick(2_000));
    expect(r).toMatchObject({ ok: false, error: 'connection refused', attempts: 2 });
  });
});

describe('429 and Retry-After', () => {
  it('waits Retry-After seconds before the next attempt', async () => {
    const a = await app();
    a.queueFault({ kind: 'status', status: 429, retryAfter: 1 });
    const r = await one(source([a.url]), tick(3_000));
    expect(r).toMatchObject({ ok: true, attempts: 2 });
    const [first, second] = a.requests;
    expect(second!.time - first!.time).toBeGreaterThanOrEqual(1_000 - 5);
    expectCleanSignatures(a);
  });

  it('reads an HTTP-date Retry-After, on 503 too', async () => {
    const a = await app();
    const at = new Date(Math.ceil((Date.now() + 2_000) / 1000) * 1000); // whole second, as HTTP dates are
    a.queueFault({ kind: 'status', status: 503, retryAfter: at.toUTCString() });
    const sleeps: number[] = [];
    const r = await one(source([a.url], { sleep: async (ms) => void sleeps.push(ms) }), tick(10_000));
    expect(r).toMatchObject({ ok: true, attempts: 2 });
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThan(1_000);
    expect(sleeps[0]).toBeLessThanOrEqual(3_000);
  });

  it("reads an HTTP-date Retry-After against the server's own clock (its Date header): a server an hour ahead asking for 2 s is not held for an hour", async () => {
    const a = await app();
    // The app's clock is an hour ahead; it asks for a pause of 2 s, by its clock.
    const serverNow = new Date(Math.ceil((Date.now() + 3_600_000) / 1000) * 1000);
    const at = new Date(serverNow.getTime() + 2_000);
    a.queueFault({ kind: 'status', status: 429, retryAfter: at.toUTCString(), date: serverNow.toUTCString() });
    const sleeps: number[] = [];
    const r = await one(source([a.url], { sleep: async (ms) => void sleeps.push(ms) }), tick(10_000));
    expect(r).toMatchObject({ ok: true, attempts: 2 });
    expect(sleeps).toEqual([2_000]);
  });

  it('stops retrying when Retry-After does not fit before the deadline', async () => {
    const a = await app({ mode: { kind: 'status', status: 429, retryAfter: 30 } });
    const started = Date.now();
    const r = await one(source([a.url]), tick(1_000));
    expect(r).toMatchObject({ ok: false, error: 'HTTP 429', http_status: 429, attempts: 1 });
    expect(Date.now() - started).toBeLessThan(900);
    expect(a.requests).toHaveLength(1);
  });

  it('holds the endpoint until Retry-After has passed, across ticks: no request to it before then', async () => {
    const a = await app();
    a.queueFault({ kind: 'status', status: 429, retryAfter: 2 });
    const s = source([a.url]);
    // The pause outlasts this tick: given up, as before.
    expect(await one(s, tick(300))).toMatchObject({ ok: false, error: 'HTTP 429', http_status: 429, attempts: 1 });
    // The next tick ends before the pause does: nothing is sent, and the result says why.
    const held = await one(s, tick(300));
    expect(held).toMatchObject({ ok: false, http_status: 429, attempts: 0 });
    expect(held.error).toMatch(/^HTTP 429 earlier: not asked, Retry-After not over yet \(\d+(\.\d+)?(ms|s) left\)$/);
    expect(a.requests).toHaveLength(1);
    // A tick that reaches past the pause waits for it, then asks.
    const r = await one(s, tick(3_000));
    expect(r).toMatchObject({ ok: true, attempts: 1 });
    expect(a.requests).toHaveLength(2);
    expect(a.requests[1]!.time - a.requests[0]!.time).toBeGreaterThanOrEqual(2_000 - 5);
    expectCleanSignatures(a);
  });

  it('holds ticks that overlap (a timeout longer than the interval) from the moment the pause is asked, and only one of them asks when it ends', async () => {
    const a = await app();
    a.queueFault({ kind: 'status', status: 429, retryAfter: 1 });
    let paused!: () => void;
    const pausing = new Promise<void>((resolve) => (paused = resolve));
    const s = source([a.url], { timeoutMs: 3_000, sleep: (ms, signal) => (paused(), abortableSleep(ms, signal)) });
    // The first tick waits the pause out inside its own deadline, then asks again.
    const first = one(s, tick(3_000));
    await pausing;
    const [limited] = a.requests;
    // A second tick starting while the first one waits sends nothing: not before the pause is over,
    // nor with the first tick's retry the moment it is (a burst of the requests it asked to spread).
    const second = await one(s, tick(3_000));
    expect(second).toMatchObject({ ok: false, attempts: 0, http_status: 429 });
    expect(second.error).toMatch(/^HTTP 429 earlier: not asked, Retry-After not over yet/);
    expect(await first).toMatchObject({ ok: true, attempts: 2 });
    expect(a.requests).toHaveLength(2);
    expect(a.requests[1]!.time - limited!.time).toBeGreaterThanOrEqual(1_000 - 5);
  });

  it('ignores Retry-After on other statuses', async () => {
    const a = await app();
    a.queueFault({ kind: 'status', status: 500, retryAfter: 30 });
    const r = await one(source([a.url]), tick(2_000));
    expect(r).toMatchObject({ ok: true, attempts: 2 });
  });
});

describe('rejected signature', () => {
  it('401 throws AuthError after exactly one request', async () => {
    const a = await app();
    const err = await source([a.url], { secret: 'wrong-secret' }).collect(tick(2_000)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as AuthError).message).toContain(a.url);
    expect((err as AuthError).message).toContain('HTTP 401');
    expect((err as AuthError).message).not.toContain('wrong-secret');
    expect(a.requests).toHaveLength(1);
    expect(a.requests[0]!.verify).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('403 throws AuthError too, never retried', async () => {
    const a = await app({ mode: { kind: 'status', status: 403 } });
    await expect(source([a.url]).collect(tick(2_000))).rejects.toThrow(/HTTP 403/);
    expect(a.requests).toHaveLength(1);
  });

  it('cuts the other endpoints of the tick short', async () => {
    const hanging = await app({ mode: { kind: 'hang' } });
    const rejecting = await app({ secret: 'the-app-rotated' });
    const started = Date.now();
    await expect(source([hanging.url, rejecting.url], { timeoutMs: 5_000 }).collect(tick(10_000))).rejects.toBeInstanceOf(AuthError);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(hanging.requests.length).toBeLessThanOrEqual(1);
  });
});

describe('timeouts and deadlines', () => {
  it('a hanging app times out after timeoutMs', async () => {
    const a = await app({ mode: { kind: 'hang' } });
    const started = Date.now();
    const r = await one(source([a.url], { timeoutMs: 200, retries: 0 }), tick(2_000));
    const elapsed = Date.now() - started;
    expect(r).toMatchObject({ ok: false, error: 'timeout after 200ms', attempts: 1 });
    expect(r.http_status).toBeUndefined();
    expect(elapsed).toBeGreaterThanOrEqual(195);
    expect(elapsed).toBeLessThan(1_000);
  });

  it('a TLS handshake the server never answers is cut at the timeout, and at once by an abort or close()', async () => {
    // Accepts TCP, never says a word of TLS: the request is still connecting, where undici fails it
    // only at its own connect timeout, up to a second late on its coarse timers (then drops the socket).
    const sockets = new Set<Socket>();
    const silent = createNetServer((socket) => {
      sockets.add(socket);
      socket.resume().on('error', () => undefined).on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    open.push({ close: () => new Promise<void>((resolve) => { for (const socket of sockets) socket.destroy(); silent.close(() => resolve()); }) });
    const url = `https://127.0.0.1:${(silent.address() as AddressInfo).port}/ds-metrics`;
    const connected = () => new Promise<void>((resolve) => (sockets.size > 0 ? resolve() : silent.once('connection', () => resolve())));
    const dropped = () => Promise.all([...sockets].map((socket) => new Promise((resolve) => socket.once('close', resolve))));

    let started = Date.now();
    const r = await one(source([url], { timeoutMs: 300, retries: 0 }), tick(5_000));
    expect(r).toMatchObject({ ok: false, error: 'timeout after 300ms', attempts: 1 });
    expect(Date.now() - started).toBeLessThan(300 + 150);
    await dropped();

    const controller = new AbortController();
    // Timeouts far beyond the bounds below: what they tell apart is "at once" from "at the timeout",
    // with room for a busy machine (a 150 ms bound against a 1 s timeout was tight for CI).
    const pending = source([url], { timeoutMs: 10_000 }).collect(tick(20_000, { signal: controller.signal }));
    await connected();
    started = Date.now();
    controller.abort(new Error('interrupted by SIGINT'));
    expect((await pending)[0]).toMatchObject({ ok: false, error: 'aborted', attempts: 1 });
    expect(Date.now() - started).toBeLessThan(1_000);
    await dropped();

    const s = source([url], { timeoutMs: 10_000 });
    const abandoned = s.collect(tick(20_000));
    await connected();
    started = Date.now();
    await s.close();
    expect((await abandoned)[0]).toMatchObject({ ok: false, error: 'aborted' });
    expect(Date.now() - started).toBeLessThan(1_000);
    await dropped();
  });

  it('a DNS server that never answers holds an attempt no longer than its budget, clipped to the tick (the lookup itself has the source timeout)', async () => {
    const dns = await startDns();
    open.push(dns);
    Object.assign(process.env, dns.env);
    try {
      const started = Date.now();
      const r = await one(source(['http://app.example.internal:8080/ds-metrics'], { timeoutMs: 3_000, retries: 0 }), tick(400));
      expect(r).toMatchObject({ ok: false, attempts: 1, error: expect.stringMatching(/^timeout after (3\d\d|400)ms$/) });
      expect(Date.now() - started).toBeLessThan(400 + 150);
      expect(dns.asked()).toContain('app.example.internal');
    } finally {
      delete process.env[TEST_DNS_SERVERS_VAR];
    }
  });

  it('a slow answer within the timeout is fine', async () => {
    const a = await app({ mode: { kind: 'delay', ms: 100 } });
    const r = await one(source([a.url], { timeoutMs: 500 }), tick(2_000));
    expect(r).toMatchObject({ ok: true, attempts: 1 });
    expect(r.latency_ms).toBeGreaterThanOrEqual(95);
  });

  it('an answer that arrived in time is kept when the event loop was too busy to read it before the timer', async () => {
    // The app answers at once, then (same process) the event loop is held past the timeout, as GC
    // or a starved CI runner would: the timer and the answer are both due when it turns again.
    const busy = () => {
      const until = Date.now() + 400;
      while (Date.now() < until);
    };
    const a = await app({ metrics: () => (process.nextTick(busy), { ...DEFAULT_METRICS }) });
    const r = await one(source([a.url], { timeoutMs: 200, retries: 0 }), tick(2_000));
    expect(r).toMatchObject({ ok: true, attempts: 1, metrics: DEFAULT_METRICS });
  });

  it('a slow answer past the timeout is retried', async () => {
    const a = await app();
    a.queueFault({ kind: 'delay', ms: 1_000 });
    const r = await one(source([a.url], { timeoutMs: 200 }), tick(2_000));
    expect(r).toMatchObject({ ok: true, attempts: 2 });
    expectCleanSignatures(a);
  });

  it('retries only within the deadline: no attempt starts after it, and the result comes at it', async () => {
    const a = await app({ mode: { kind: 'hang' } });
    const req = tick(500);
    const r = await one(source([a.url], { timeoutMs: 200, retries: 10 }), req);
    const done = Date.now();
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/^timeout after \d+ms$/);
    expect(r.attempts).toBeGreaterThanOrEqual(2);
    expect(a.requests).toHaveLength(r.attempts);
    // The app stamps arrival a moment after the client started the attempt: a small allowance.
    for (const rec of a.requests) expect(rec.time).toBeLessThan(req.deadline + 25);
    expect(done).toBeGreaterThanOrEqual(req.deadline - 5);
    expect(done).toBeLessThan(req.deadline + 300);
    expectCleanSignatures(a);
  });

  it('a storm of 503s stops at the deadline', async () => {
    const a = await app({ mode: { kind: 'status', status: 503 } });
    const req = tick(300);
    const r = await one(source([a.url], { retries: 1_000, random: () => 0.5 }), req);
    expect(r).toMatchObject({ ok: false, error: 'HTTP 503' });
    expect(r.attempts).toBeGreaterThan(2);
    for (const rec of a.requests) expect(rec.time).toBeLessThan(req.deadline + 25);
  });

  it('makes no request when the deadline has already passed', async () => {
    const a = await app();
    const r = await one(source([a.url]), tick(-1));
    expect(r).toMatchObject({ ok: false, attempts: 0, error: 'deadline passed before the first attempt' });
    expect(a.requests).toHaveLength(0);
  });

  it('stops at once when the tick is aborted', async () => {
    const a = await app({ mode: { kind: 'hang' } });
    const controller = new AbortController();
    const pending = source([a.url], { timeoutMs: 5_000 }).collect(tick(10_000, { signal: controller.signal }));
    await a.waitForRequests(1);
    const abortedAt = Date.now();
    controller.abort(new Error('interrupted by SIGINT'));
    const [r] = await pending;
    expect(r).toMatchObject({ ok: false, error: 'aborted', attempts: 1 });
    expect(Date.now() - abortedAt).toBeLessThan(500);
  });

  it('close() abandons requests in flight', async () => {
    const a = await app({ mode: { kind: 'hang' } });
    const s = source([a.url], { timeoutMs: 5_000 });
    const pending = s.collect(tick(10_000));
    await a.waitForRequests(1);
    await s.close();
    const [r] = await pending;
    expect(r).toMatchObject({ ok: false, error: 'aborted' });
    await expect(s.collect(tick(1_000))).rejects.toThrow(/closed/);
  });
});

describe('bodies', () => {
  it('a 200 that is not JSON is a failed attempt, then retried', async () => {
    const a = await app({ mode: { kind: 'malformed' } });
    const r = await one(source([a.url], { retries: 1 }), tick(2_000));
    expect(r).toMatchObject({ ok: false, error: 'malformed body: not JSON', http_status: 200, attempts: 2 });
  });

  it('a JSON body without a metrics object is malformed', async () => {
    const a = await app({ mode: { kind: 'malformed', body: '{"status":"ok"}' } });
    const r = await one(source([a.url], { retries: 0 }), tick(2_000));
    expect(r).toMatchObject({ ok: false, error: 'malformed body: no "metrics" object' });
    a.setMode({ kind: 'malformed', body: '{"metrics":[1,2]}' });
    expect((await one(source([a.url], { retries: 0 }), tick(2_000))).error).toBe('malformed body: "metrics" is not an object');
    a.setMode({ kind: 'malformed', body: '[]' });
    expect((await one(source([a.url], { retries: 0 }), tick(2_000))).error).toBe('malformed body: expected a JSON object');
  });

  it('a body nested deeper than 64 levels is refused before parsing; 64 levels are fine', async () => {
    const a = await app({ mode: { kind: 'nested', depth: 100_000 } });
    expect(await one(source([a.url], { retries: 0 }), tick(2_000))).toMatchObject({ ok: false, error: 'malformed body: nested deeper than 64 levels', http_status: 200 });
    a.setMode({ kind: 'nested', depth: 65, at: 'value' });
    expect((await one(source([a.url], { retries: 0 }), tick(2_000))).error).toBe('malformed body: nested deeper than 64 levels');
    // `{"metrics": {"deep": [[...]]}}`: 62 levels of arrays inside the two objects.
    a.setMode({ kind: 'nested', depth: 62, at: 'value' });
    const r = await one(source([a.url], { retries: 0 }), tick(2_000));
    expect(r).toMatchObject({ ok: true, metrics: { ...DEFAULT_METRICS } });
    expect(JSON.stringify(r.metrics!.deep)).toBe('['.repeat(62) + ']'.repeat(62));
  });

  it('brackets inside strings do not count as nesting', async () => {
    const a = await app({ metrics: { ...DEFAULT_METRICS, note: '[{'.repeat(100) + '\\"' } });
    const r = await one(source([a.url], { retries: 0 }), tick(2_000));
    expect(r).toMatchObject({ ok: true });
    expect(r.metrics!.note).toBe('[{'.repeat(100) + '\\"');
  });

  it('a malformed body once, then a good one, is ok', async () => {
    const a = await app();
    a.queueFault({ kind: 'malformed' });
    const r = await one(source([a.url]), tick(2_000));
    expect(r).toMatchObject({ ok: true, attempts: 2 });
  });

  it('a streamed 5 MiB body is cut off at the cap', async () => {
    const a = await app({ mode: { kind: 'huge' } });
    const r = await one(source([a.url], { retries: 0 }), tick(5_000));
    expect(r).toMatchObject({ ok: false, error: 'body larger than 1048576 bytes', attempts: 1 });
  });

  it('an announced oversized body is refused before reading it', async () => {
    const a = await app({ mode: { kind: 'huge', bytes: 5 * 1024 * 1024, declareLength: true } });
    const r = await one(source([a.url], { retries: 0, maxBodyBytes: 64 * 1024 }), tick(5_000));
    expect(r).toMatchObject({ ok: false, error: 'body larger than 65536 bytes' });
  });

  it('an oversized body is retried, and a normal one under a small cap is fine', async () => {
    const a = await app();
    a.queueFault({ kind: 'huge', bytes: 200_000 });
    const r = await one(source([a.url], { maxBodyBytes: 4_096 }), tick(5_000));
    expect(r).toMatchObject({ ok: true, attempts: 2 });
    expectCleanSignatures(a);
  });
});

describe('several endpoints', () => {
  it('are sampled concurrently, results in configured order', async () => {
    const apps = await Promise.all([app(), app(), app()]);
    // Each app only answers once all three have a request open: sequential sampling would time out.
    const allArrived = Promise.all(apps.map((a) => a.waitForRequests(1)));
    apps.forEach((a, i) => {
      a.setMode({ kind: 'wait', until: allArrived });
      a.setMetrics({ instance: i });
    });
    const results = await source(apps.map((a) => a.url), { timeoutMs: 2_000, retries: 0 }).collect(tick(3_000));
    expect(results.map((r) => [r.endpoint, r.ok, r.metrics])).toEqual(apps.map((a, i) => [a.url, true, { instance: i }]));
  });

  it('one failing endpoint does not spoil the others', async () => {
    const good = await app();
    const bad = await app({ mode: { kind: 'status', status: 500 } });
    const results = await source([good.url, bad.url], { retries: 1 }).collect(tick(2_000));
    expect(results.map((r) => [r.ok, r.error, r.attempts])).toEqual([
      [true, undefined, 1],
      [false, 'HTTP 500', 2],
    ]);
  });
});

describe('secrets stay secret', () => {
  const SECRET = 'S3CRET-hmac-value-7f1e';
  const PASSWORD = 'hunter2-url-password';

  it('never appear in results or errors, and URL credentials are redacted', async () => {
    const apps = await Promise.all([
      app({ secret: SECRET, mode: { kind: 'status', status: 503 } }),
      app({ secret: SECRET, mode: { kind: 'hang' } }),
      app({ secret: SECRET, mode: { kind: 'huge', bytes: 100_000 } }),
      app({ secret: SECRET, mode: { kind: 'malformed', body: '{"echo":"x"}' } }),
      app({ secret: SECRET }),
    ]);
    const withUser = (url: string) => url.replace('http://', `http://alice:${PASSWORD}@`);
    const s = source(apps.map((a) => withUser(a.url)), { secret: SECRET, timeoutMs: 200, retries: 1, maxBodyBytes: 10_000 });
    const results = await s.collect(tick(1_000));
    const text = JSON.stringify(results);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain('alice');
    expect(results.map((r) => r.endpoint)).toEqual(apps.map((a) => a.url.replace('http://', 'http://***@')));
    expect(results.at(-1)).toMatchObject({ ok: true });
    // The credentials go where they belong: a Basic header for whatever sits in front of the app.
    expect(apps[4]!.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}`);

    const rejecting = await app({ secret: 'something-else' });
    const err = await source([withUser(rejecting.url)], { secret: SECRET }).collect(tick(1_000)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    const errText = `${(err as Error).message} ${(err as AuthError).hint ?? ''} ${(err as Error).stack ?? ''}`;
    expect(errText).not.toContain(SECRET);
    expect(errText).not.toContain(PASSWORD);
    expect(errText).toContain('http://***@127.0.0.1');
  });

  it('invalid endpoints and options are usage errors, without credentials', () => {
    expect(() => createDsMetricsSource({ endpoints: [`ftp://bob:${PASSWORD}@host/x`], secret: SECRET, timeoutMs: 100, userAgent: UA })).toThrow(UsageError);
    try {
      createDsMetricsSource({ endpoints: [`http://bob:${PASSWORD}@[bad/x`], secret: SECRET, timeoutMs: 100, userAgent: UA });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      expect((e as Error).message).toBe('invalid endpoint URL: http://***@[bad/x');
    }
    expect(() => createDsMetricsSource({ endpoints: [], secret: [], timeoutMs: 100, userAgent: UA })).toThrow(UsageError);
    expect(() => createDsMetricsSource({ endpoints: [], secret: SECRET, timeoutMs: 0, userAgent: UA })).toThrow(UsageError);
  });
});
