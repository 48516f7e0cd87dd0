/**
 * A real `/ds-metrics` app for tests: a node:http server on 127.0.0.1 (random port) that checks
 * every request's signature the way SPEC §4 asks a receiver to, records what it saw, and
 * misbehaves on demand.
 *
 * ```ts
 * const app = await startTestApp({ secret: 's3cret', metrics: (n, phase) => ({ error_rate: phase === 'post' ? 0.05 : 0.01 }) });
 * app.queueFault({ kind: 'status', status: 503 }, 2); // the next 2 requests answer 503...
 * app.setMode({ kind: 'healthy' });                   // ...then every request is healthy
 * // point seqpulse at app.url, then:
 * expect(app.requests.every((r) => r.signatureValid)).toBe(true);
 * expect(app.anyNonceRepeated()).toBe(false);
 * await app.close();
 * ```
 *
 * Order of decisions per request: wrong path -> 404; bad signature (or replayed nonce) -> 401 with
 * `{"error": reason}`; otherwise the next queued one-shot fault, else the plan's fault for this
 * request (`setPlan`: by request number or phase), else the current mode.
 *
 * `goodAnswers()` counts the complete, valid metrics documents the app sent: what seqpulse must
 * have stored as ok samples, whatever else went wrong around them.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Headers, NonceCache, verifyRequest, type VerifyResult } from '../../src/signing/signature.js';

/** How the app answers a (correctly signed) request. */
export type Fault =
  /** 200 `{"metrics": ...}` from the metrics provider. */
  | { kind: 'healthy' }
  /**
   * Any status, e.g. 503, 500, 429 (with `retryAfter`: seconds or an HTTP date), or 401/403.
   * `date` replaces the `Date` header (the app's own clock, which may be off); `location` is sent
   * as it is (a redirect's target).
   */
  | { kind: 'status'; status: number; retryAfter?: number | string; date?: string; body?: string; location?: string }
  /** Never answers; the connection stays open until the client gives up or the app closes. */
  | { kind: 'hang' }
  /** 200 with this body (default: invalid JSON). Use `'{"foo":1}'` for JSON without `metrics`, a Buffer for bytes that are not UTF-8. */
  | { kind: 'malformed'; body?: string | Buffer }
  /** 200 streaming `bytes` (default 5 MiB) of JSON-ish padding. `declareLength` sends Content-Length (default: chunked). */
  | { kind: 'huge'; bytes?: number; declareLength?: boolean }
  /** Healthy, after `ms` ms. */
  | { kind: 'delay'; ms: number }
  /** Destroys the socket without answering (the client sees a reset / "other side closed"). */
  | { kind: 'reset' }
  /** Healthy, once `until` settles: lets a test hold requests open and release them deterministically. */
  | { kind: 'wait'; until: Promise<unknown> }
  /** 200 with the full Content-Length, then `body` (default: the healthy document) one byte every `byteEveryMs` ms. */
  | { kind: 'slowloris'; byteEveryMs: number; body?: string }
  /** 200 announcing the healthy document's full Content-Length, sending only its first `sendBytes` (default: half), then closing. */
  | { kind: 'truncated'; sendBytes?: number }
  /**
   * JSON `depth` levels deep (default 100 000) of `[`: as the `metrics` value itself (`at: 'metrics'`, the
   * default), or as the value of a metric `deep` beside the healthy ones (`at: 'value'`).
   */
  | { kind: 'nested'; depth?: number; at?: 'metrics' | 'value' }
  /**
   * The healthy document with repeated keys in `metrics`: every key of `first` appears with that
   * value, then again (later in the text) with the provider's value. JSON.parse keeps the last one.
   */
  | { kind: 'duplicateKeys'; first: Record<string, unknown> };

export type FaultKind = Fault['kind'];

/**
 * Which fault (if any) answers a request: `n` is its number among all the app received (1-based),
 * `k` its number among the requests of its phase. `undefined` falls through to the mode.
 */
export type FaultPlan = (n: number, phase: string | undefined, k: number) => Fault | undefined;

/** `n` is the 1-based number of this request among all the app received; `phase` is the `X-SeqPulse-Phase` header. */
export type MetricsProvider = (n: number, phase: string | undefined, request: RecordedRequest) => Record<string, unknown>;

export interface RecordedRequest {
  /** 1-based arrival order. */
  seq: number;
  method: string;
  /** Path and query exactly as received (what the signature covers). */
  target: string;
  headers: IncomingHttpHeaders;
  /** Result of verifyRequest (with the app's NonceCache): `{ ok: true }` or the reason it was rejected. */
  verify: VerifyResult;
  signatureValid: boolean;
  nonce: string | undefined;
  /** True when this nonce had already been seen by this app, whatever the signature check said. */
  nonceRepeated: boolean;
  phase: string | undefined;
  deploymentId: string | undefined;
  /** Date.now() when the request arrived. */
  time: number;
  /** 1-based number of this request among the requests of its phase (signed or not). */
  phaseSeq: number;
  /** What the app answered with: a fault kind, `unauthorized` (bad signature) or `not_found` (wrong path). */
  response: FaultKind | 'unauthorized' | 'not_found';
  /** True once a complete, valid metrics document was handed to the socket (healthy, delay, wait, duplicateKeys). */
  good: boolean;
  /** Date.now() when the answer was handed to the socket in full, if it was. */
  answeredAt?: number;
}

export interface TestAppOptions {
  /** Secret(s) the app accepts (several = an app mid-rotation). Default TEST_SECRET. */
  secret?: string | string[];
  /** Path (and optional query) of the metrics endpoint. Default `/ds-metrics`. */
  path?: string;
  /** Metrics of healthy answers: a fixed object or a provider. Default DEFAULT_METRICS. */
  metrics?: MetricsProvider | Record<string, unknown>;
  /** Initial mode. Default healthy. */
  mode?: Fault;
  /** When false, signatures are still checked and recorded but never answered with 401. Default true. */
  enforceSignature?: boolean;
  /** The app's clock for the timestamp check, epoch ms. Default Date.now. */
  now?: () => number;
  /** Extra top-level fields of healthy documents, beside `metrics` (e.g. the app's own `timestamp`). */
  documentFields?: (n: number, phase: string | undefined) => Record<string, unknown>;
}

export interface TestApp {
  /** Full endpoint URL, e.g. `http://127.0.0.1:40123/ds-metrics`. */
  url: string;
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  port: number;
  /** Every request received, in arrival order (including 401s and 404s). */
  readonly requests: RecordedRequest[];
  /** Sets the persistent behaviour, used whenever no one-shot fault is queued. */
  setMode(fault: Fault): void;
  /** Queues `fault` for the next `times` requests (default 1), after any already queued. */
  queueFault(fault: Fault, times?: number): void;
  /** Alias of queueFault: "the next request(s) answer like this". */
  setFault(fault: Fault, times?: number): void;
  /** Faults by request number or phase, consulted after the queue and before the mode; `undefined` removes the plan. */
  setPlan(plan: FaultPlan | undefined): void;
  /** Complete, valid metrics documents sent so far (see RecordedRequest.good). */
  goodAnswers(): number;
  setMetrics(metrics: MetricsProvider | Record<string, unknown>): void;
  /** Changes the accepted secret(s), e.g. to simulate the app rotating first. */
  setSecret(secret: string | string[]): void;
  /** Resolves once at least `count` requests were recorded; rejects after `timeoutMs` (default 5000). */
  waitForRequests(count: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  /** True if any nonce was seen twice. */
  anyNonceRepeated(): boolean;
  /** True if every recorded request had a valid signature. */
  allSignaturesValid(): boolean;
  clearRequests(): void;
  /** Stops the server and destroys every connection, hanging ones included. Idempotent. */
  close(): Promise<void>;
}

export const TEST_SECRET = 'test-secret-do-not-use';

/** A plausible healthy app, with every metric of the default rules. */
export const DEFAULT_METRICS: Readonly<Record<string, number>> = Object.freeze({
  error_rate: 0.01,
  latency_p95: 120,
  latency_p99: 180,
  cpu_usage: 0.35,
  memory_usage: 0.5,
  requests_per_sec: 200,
  db_connections: 12,
});

/**
 * DEFAULT_METRICS, with `act` run once as the app answers its `n`th POST request, before that answer
 * leaves: a fault made at a known point of the window, whatever the load (a test that waits to see
 * the request can lose the race).
 */
export function actAtPostRequest(n: number, act: () => void): MetricsProvider {
  let posts = 0;
  return (_n, phase) => {
    if (phase === 'post' && ++posts === n) act();
    return DEFAULT_METRICS;
  };
}

const CHUNK = Buffer.alloc(64 * 1024, 'x');

export async function startTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const path = opts.path ?? '/ds-metrics';
  const pathname = path.split('?')[0] ?? path;
  const enforce = opts.enforceSignature ?? true;
  const clock = opts.now ?? Date.now;
  let secret: string | string[] = opts.secret ?? TEST_SECRET;
  let mode: Fault = opts.mode ?? { kind: 'healthy' };
  let provider: MetricsProvider = toProvider(opts.metrics ?? DEFAULT_METRICS);
  const queue: Fault[] = [];
  let plan: FaultPlan | undefined;
  const perPhase = new Map<string, number>();
  const requests: RecordedRequest[] = [];
  const nonces = new Set<string>();
  const cache = new NonceCache();
  const timers = new Set<NodeJS.Timeout>();
  const waiters = new Set<() => void>();
  let seq = 0;
  let closed = false;

  const server = createServer((req, res) => {
    res.on('error', () => {}); // the client may hang up mid-answer (huge body, timeout): expected here
    const target = req.url ?? '/';
    const headers = req.headers;
    const nonce = single(headers[Headers.Nonce]);
    const phase = single(headers[Headers.Phase]);
    const phaseSeq = (perPhase.get(phase ?? '') ?? 0) + 1;
    perPhase.set(phase ?? '', phaseSeq);
    const record: RecordedRequest = {
      seq: ++seq,
      method: req.method ?? 'GET',
      target,
      headers,
      verify: verifyRequest({ secret, method: req.method ?? 'GET', target, headers, nowMs: clock(), rememberNonce: (n, ts) => cache.remember(n, ts) }),
      signatureValid: false,
      nonce,
      nonceRepeated: nonce !== undefined && nonces.has(nonce),
      phase,
      deploymentId: single(headers[Headers.DeploymentId]),
      time: Date.now(),
      phaseSeq,
      response: 'healthy',
      good: false,
    };
    record.signatureValid = record.verify.ok;
    if (nonce !== undefined) nonces.add(nonce);

    if ((target.split('?')[0] ?? target) !== pathname) {
      record.response = 'not_found';
      push(record);
      return json(res, 404, { error: 'not found' });
    }
    if (!record.verify.ok && enforce) {
      record.response = 'unauthorized';
      push(record);
      return json(res, 401, { error: record.verify.reason });
    }
    const fault = queue.shift() ?? plan?.(record.seq, record.phase, record.phaseSeq) ?? mode;
    record.response = fault.kind;
    push(record);
    serve(fault, record, req, res);
  });

  function push(record: RecordedRequest): void {
    requests.push(record);
    for (const wake of [...waiters]) wake();
  }

  function document(record: RecordedRequest): Record<string, unknown> {
    return { ...opts.documentFields?.(record.seq, record.phase), metrics: provider(record.seq, record.phase, record) };
  }

  /** Sends a complete, valid metrics document; `good` once it was handed to the socket in full. */
  function answerGood(record: RecordedRequest, res: ServerResponse, body: string): void {
    if (closed || res.destroyed) return;
    res.once('finish', () => {
      record.good = true;
      record.answeredAt = Date.now();
    });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  }

  function healthy(record: RecordedRequest, res: ServerResponse): void {
    answerGood(record, res, JSON.stringify(document(record)));
  }

  function later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  }

  function serve(fault: Fault, record: RecordedRequest, req: IncomingMessage, res: ServerResponse): void {
    switch (fault.kind) {
      case 'healthy':
        return healthy(record, res);
      case 'status': {
        const extra = { ...(fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) }), ...(fault.date === undefined ? {} : { date: fault.date }), ...(fault.location === undefined ? {} : { location: fault.location }) };
        res.writeHead(fault.status, { 'content-type': 'application/json', ...extra });
        res.end(fault.body ?? JSON.stringify({ error: `HTTP ${fault.status}` }));
        return;
      }
      case 'hang':
        return; // close() destroys the socket
      case 'malformed':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(fault.body ?? '{"metrics": {"error_rate": 0.0');
        return;
      case 'huge':
        return streamHuge(res, fault.bytes ?? 5 * 1024 * 1024, fault.declareLength ?? false);
      case 'delay':
        return later(fault.ms, () => healthy(record, res));
      case 'reset':
        req.socket.destroy();
        return;
      case 'wait':
        void fault.until.then(
          () => healthy(record, res),
          () => healthy(record, res),
        );
        return;
      case 'slowloris': {
        const body = Buffer.from(fault.body ?? JSON.stringify(document(record)));
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
        res.flushHeaders();
        let sent = 0;
        const drip = (): void => {
          if (closed || res.destroyed) return;
          res.write(body.subarray(sent, sent + 1));
          if (++sent < body.length) later(fault.byteEveryMs, drip);
          else res.end();
        };
        return later(fault.byteEveryMs, drip);
      }
      case 'truncated': {
        const body = Buffer.from(JSON.stringify(document(record)));
        const sendBytes = Math.min(fault.sendBytes ?? Math.floor(body.length / 2), body.length - 1);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
        // Closed once the part is on the wire, so the client sees a body shorter than announced.
        res.write(body.subarray(0, sendBytes), () => req.socket.end());
        return;
      }
      case 'nested': {
        const depth = fault.depth ?? 100_000;
        const deep = '['.repeat(depth) + ']'.repeat(depth);
        res.writeHead(200, { 'content-type': 'application/json' });
        if (fault.at === 'value') {
          const healthyMetrics = JSON.stringify(provider(record.seq, record.phase, record));
          res.end(`{"metrics": {"deep": ${deep}, ${healthyMetrics.slice(1)}}`);
        } else {
          res.end(`{"metrics": ${deep}}`);
        }
        return;
      }
      case 'duplicateKeys': {
        const metrics = provider(record.seq, record.phase, record);
        const members = [...Object.entries(fault.first), ...Object.entries(metrics)].map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`);
        return answerGood(record, res, `{"metrics": {${members.join(', ')}}}`);
      }
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;

  return {
    url: `${origin}${path}`,
    origin,
    port,
    requests,
    setMode(fault) {
      mode = fault;
    },
    queueFault(fault, times = 1) {
      for (let i = 0; i < times; i++) queue.push(fault);
    },
    setFault(fault, times = 1) {
      for (let i = 0; i < times; i++) queue.push(fault);
    },
    setPlan(next) {
      plan = next;
    },
    goodAnswers: () => requests.filter((r) => r.good).length,
    setMetrics(metrics) {
      provider = toProvider(metrics);
    },
    setSecret(next) {
      secret = next;
    },
    waitForRequests(count, timeoutMs = 5_000) {
      if (requests.length >= count) return Promise.resolve(requests.slice());
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`test app: expected ${count} request(s) within ${timeoutMs}ms, got ${requests.length}`));
        }, timeoutMs);
        const check = () => {
          if (requests.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(requests.slice());
        };
        waiters.add(check);
      });
    },
    anyNonceRepeated: () => requests.some((r) => r.nonceRepeated),
    allSignaturesValid: () => requests.every((r) => r.signatureValid),
    clearRequests() {
      requests.length = 0;
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await stopped;
    },
  };
}

function streamHuge(res: ServerResponse, bytes: number, declareLength: boolean): void {
  res.writeHead(200, { 'content-type': 'application/json', ...(declareLength ? { 'content-length': String(bytes) } : {}) });
  let left = bytes;
  // Written with backpressure, so a client that stops reading (and hangs up) stops the stream too.
  const pump = (): void => {
    while (left > 0 && !res.destroyed) {
      const chunk = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
      left -= chunk.length;
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  pump();
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function toProvider(metrics: MetricsProvider | Record<string, unknown>): MetricsProvider {
  return typeof metrics === 'function' ? metrics : () => ({ ...metrics });
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
