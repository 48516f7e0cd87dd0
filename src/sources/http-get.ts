/**
 * One GET, turned into a plain outcome: the transport half shared by every HTTP source
 * (`/ds-metrics`, a Prometheus `/metrics` page, the Prometheus API). Nothing here retries or
 * sleeps, and nothing here knows what the body means: callers add their own headers and decode.
 */
import { Agent, type Dispatcher } from 'undici';
import { formatDuration } from '../config/duration.js';
import { optionName } from '../config/names.js';
import { boundedConnect } from '../net/lookup.js';
import { untilAborted } from '../deadline.js';
import { MAX_SHOWN, shorten } from '../output/terminal.js';
import { redactUserinfo } from '../redact.js';
import { parseRetryAfter } from './backoff.js';
import { BodyTooLargeError, readBodyCapped } from './read-body.js';
import { MAX_IN_FLIGHT } from './retrying.js';

export type GetOutcome =
  | { kind: 'ok'; status: number; body: Buffer; contentType?: string; latencyMs: number }
  | { kind: 'auth'; status: number; latencyMs: number }
  | {
      kind: 'failed';
      /** Short and human: `HTTP 503`, `timeout after 2000ms`, `connection refused`, ... */
      error: string;
      status?: number;
      retryable: boolean;
      /** From `Retry-After`, on 429/503 only. */
      retryAfterMs?: number;
      /** The start of a non-2xx body, when the caller asked for it (`errorBodyBytes`). */
      body?: Buffer;
      latencyMs: number;
    }
  | { kind: 'aborted'; latencyMs: number };

export interface GetRequest {
  dispatcher: Dispatcher;
  /** `scheme://host[:port]`, without userinfo. */
  origin: string;
  /** Path and query, as sent. */
  path: string;
  headers: Record<string, string>;
  /** Time budget of this attempt, request and body together. */
  timeoutMs: number;
  maxBodyBytes: number;
  /** Keep up to this many bytes of a non-2xx body (APIs explain a rejected query there); default 0: drained unread. */
  errorBodyBytes?: number;
  now: () => number;
  /** Caller's abort (SIGINT, source closed, another endpoint's 401): reported as `aborted`, never as a failure of the server. */
  signal: AbortSignal;
}

/** Cap on how much of an error response is drained so the connection can be reused. */
const DRAIN_LIMIT = 64 * 1024;

export async function getOnce(req: GetRequest): Promise<GetOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  if (req.signal.aborted) return { kind: 'aborted', latencyMs: 0 };

  const controller = new AbortController();
  let timedOut = false;
  let expiry: NodeJS.Immediate | undefined;
  const timer = setTimeout(() => {
    // Expired one turn of the event loop later, after its I/O poll: when the loop ran late (GC, a
    // CPU-starved CI runner), timers come first, and an answer already waiting on the socket would
    // otherwise be thrown away as a timeout. Reading what has arrived first keeps it.
    expiry = setImmediate(() => {
      timedOut = true;
      controller.abort(new Error('timeout'));
    });
  }, Math.max(0, req.timeoutMs));
  const onAbort = () => controller.abort(req.signal.reason);
  req.signal.addEventListener('abort', onAbort, { once: true });

  try {
    const res = await untilAborted(req.dispatcher.request({ origin: req.origin, path: req.path, method: 'GET', headers: req.headers, signal: controller.signal }), controller.signal);
    const status = res.statusCode;

    if (status === 401 || status === 403) {
      await drain(res.body);
      return { kind: 'auth', status, latencyMs: elapsed() };
    }
    if (status < 200 || status >= 300) {
      const body = await errorBody(res.body, req.errorBodyBytes ?? 0);
      const withBody = body && body.length > 0 ? { body } : {};
      if (status === 429 || status >= 500) {
        const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(res.headers['retry-after'], req.now(), res.headers.date) : undefined;
        return { kind: 'failed', error: `HTTP ${status}`, status, retryable: true, ...(retryAfterMs === undefined ? {} : { retryAfterMs }), ...withBody, latencyMs: elapsed() };
      }
      // A 404 or a redirect is a wrong URL, not a passing hiccup: another attempt would get the same answer.
      // A redirect is not followed: the signature is for this URL, and credentials go to no other host.
      return { kind: 'failed', error: `HTTP ${status}${status >= 300 && status < 400 ? redirectedTo(res.headers.location, req) : ''}`, status, retryable: false, ...withBody, latencyMs: elapsed() };
    }

    const body = await readBodyCapped(res.body, req.maxBodyBytes, res.headers['content-length']);
    const contentType = res.headers['content-type'];
    return { kind: 'ok', status, body, ...(typeof contentType === 'string' ? { contentType } : {}), latencyMs: elapsed() };
  } catch (err) {
    if (req.signal.aborted) return { kind: 'aborted', latencyMs: elapsed() };
    if (err instanceof BodyTooLargeError) return { kind: 'failed', error: err.message, status: 200, retryable: true, latencyMs: elapsed() };
    if (timedOut) return { kind: 'failed', error: `timeout after ${formatDuration(req.timeoutMs)}`, retryable: true, latencyMs: elapsed() };
    // A certificate that is not trusted now will not be trusted on the next attempt.
    return { kind: 'failed', error: describeNetworkError(err), retryable: !isTlsError(err), latencyMs: elapsed() };
  } finally {
    clearTimeout(timer);
    if (expiry) clearImmediate(expiry);
    req.signal.removeEventListener('abort', onAbort);
  }
}

/** Where a 3xx pointed, credentials masked, for the error: `http://` answered with its `https://` twin is the common case. */
function redirectedTo(location: string | string[] | undefined, req: Pick<GetRequest, 'origin' | 'path'>): string {
  if (typeof location !== 'string') return '';
  let target: string;
  try {
    target = new URL(location, `${req.origin}${req.path}`).href;
  } catch {
    return '';
  }
  return `: a redirect to ${shorten(redactUserinfo(target), MAX_SHOWN)}, not followed; if that is the right URL, configure it instead`;
}

const NETWORK_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  UND_ERR_SOCKET: 'connection reset',
  UND_ERR_CLOSED: 'connection closed',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found (DNS lookup failed)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connect timeout',
  UND_ERR_CONNECT_TIMEOUT: 'connect timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout waiting for headers',
  UND_ERR_BODY_TIMEOUT: 'timeout reading the body',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'body shorter than its Content-Length',
  UND_ERR_INFO: 'invalid HTTP response',
  UND_ERR_HEADERS_OVERFLOW: 'invalid HTTP response: headers too large',
  HPE_INVALID_CONSTANT: 'invalid HTTP response',
};

/** Certificate problems, by their OpenSSL / Node codes. */
const TLS_ERRORS = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_SIGNATURE_FAILURE', 'CERT_REVOKED',
]);

function isTlsError(err: unknown): boolean {
  const code = errorCode(err);
  return code !== undefined && TLS_ERRORS.has(code);
}

/**
 * A short human message from an undici / net error. Only the error code or the library's own
 * message is used: neither contains request headers, so a signature or token cannot leak through here.
 */
export function describeNetworkError(err: unknown): string {
  const code = errorCode(err);
  if (code && NETWORK_ERRORS[code]) return NETWORK_ERRORS[code];
  if (code && TLS_ERRORS.has(code)) return `TLS certificate not trusted (${code}): use a certificate this machine trusts, add your CA with NODE_EXTRA_CA_CERTS=ca.pem, or (never in production) ${optionName('insecure', 'true')}`;
  if (code?.startsWith('HPE_')) return 'invalid HTTP response';
  if (code) return `network error (${code})`;
  const message = err instanceof Error ? err.message : String(err);
  // The HTTP parser's own words for an answer that is not HTTP (an SSH banner, a TLS port spoken to in clear).
  const parser = /does not match the HTTP\/1\.1 protocol(?: \((.*)\))?/.exec(message);
  if (parser) return `invalid HTTP response${parser[1] ? ` (${parser[1].slice(0, 120)})` : ''}`;
  return `network error: ${message.slice(0, 200)}`;
}

function errorCode(err: unknown): string | undefined {
  // Connection errors can arrive wrapped: in `cause`, or (happy-eyeballs connect) in an AggregateError.
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR') return code;
    if (e instanceof AggregateError && e.errors.length > 0) e = e.errors[0];
    else e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Up to `keep` bytes of an error body; the rest is drained. A body that fails while being read changes nothing about the outcome. */
async function errorBody(body: Dispatcher.ResponseData['body'], keep: number): Promise<Buffer | undefined> {
  if (keep <= 0) {
    await drain(body);
    return undefined;
  }
  try {
    return await readBodyCapped(body, keep);
  } catch {
    return undefined;
  }
}

async function drain(body: Dispatcher.ResponseData['body']): Promise<void> {
  try {
    await body.dump({ limit: DRAIN_LIMIT });
  } catch {
    // A body that fails while being thrown away changes nothing about the outcome.
  }
}

/**
 * The connection pool of an HTTP source: a connect timeout, TCP keepalive, TLS verified unless
 * `insecure`, and at most MAX_IN_FLIGHT sockets per origin (many endpoints behind one load
 * balancer share an origin). Each request has its own deadline (getOnce), which destroys its
 * socket: a peer that accepts and never answers costs one request's timeout, nothing more; and so
 * does a DNS server that never answers (net/lookup.ts).
 */
export function sourceAgent(opts: { timeoutMs: number; insecure?: boolean }): Agent {
  return new Agent({
    connections: MAX_IN_FLIGHT,
    connect: { ...boundedConnect(opts.timeoutMs), rejectUnauthorized: opts.insecure !== true },
  });
}
