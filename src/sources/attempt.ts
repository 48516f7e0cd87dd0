/**
 * One signed GET to one `/ds-metrics` endpoint, turned into a plain outcome. Nothing here retries
 * or sleeps: the caller (ds-metrics.ts) decides what an outcome means for the next attempt.
 */
import type { Dispatcher } from 'undici';
import type { Phase } from '../core/types.js';
import { Headers, signRequest } from '../signing/signature.js';
import { parseRetryAfter } from './backoff.js';
import type { ParsedEndpoint } from './endpoint.js';
import { BodyTooLargeError, readBodyCapped } from './read-body.js';

export type AttemptOutcome =
  | { kind: 'ok'; status: number; metrics: Record<string, unknown>; latencyMs: number }
  | { kind: 'auth'; status: number; latencyMs: number }
  | {
      kind: 'failed';
      /** Short and human: `HTTP 503`, `timeout after 2000ms`, `connection refused`, ... */
      error: string;
      status?: number;
      retryable: boolean;
      /** From `Retry-After`, on 429/503 only. */
      retryAfterMs?: number;
      latencyMs: number;
    }
  | { kind: 'aborted'; latencyMs: number };

export interface AttemptContext {
  dispatcher: Dispatcher;
  endpoint: ParsedEndpoint;
  secret: string | readonly string[];
  phase: Phase;
  deploymentId: string;
  userAgent: string;
  /** Time budget of this attempt, request and body together. */
  timeoutMs: number;
  maxBodyBytes: number;
  now: () => number;
  /** Caller's abort (SIGINT, source closed, another endpoint's 401): reported as `aborted`, never as a failure of the app. */
  signal: AbortSignal;
}

/** Cap on how much of an error response is drained so the connection can be reused. */
const DRAIN_LIMIT = 64 * 1024;

export async function attemptOnce(ctx: AttemptContext): Promise<AttemptOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  if (ctx.signal.aborted) return { kind: 'aborted', latencyMs: 0 };

  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error('timeout'));
  }, Math.max(0, ctx.timeoutMs));
  const onAbort = () => controller.abort(ctx.signal.reason);
  ctx.signal.addEventListener('abort', onAbort, { once: true });

  try {
    // Signed here, per attempt: every retry gets its own nonce and timestamp, or the app would reject it as a replay.
    const headers: Record<string, string> = {
      ...signRequest(ctx.secret, 'GET', ctx.endpoint.target, ctx.now()),
      [Headers.DeploymentId]: ctx.deploymentId,
      [Headers.Phase]: ctx.phase,
      'user-agent': ctx.userAgent,
      accept: 'application/json',
    };
    if (ctx.endpoint.authorization) headers.authorization = ctx.endpoint.authorization;

    const res = await ctx.dispatcher.request({
      origin: ctx.endpoint.origin,
      path: ctx.endpoint.target,
      method: 'GET',
      headers,
      signal: controller.signal,
    });
    const status = res.statusCode;

    if (status === 401 || status === 403) {
      await drain(res.body);
      return { kind: 'auth', status, latencyMs: elapsed() };
    }
    if (status === 429 || status >= 500) {
      const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(res.headers['retry-after'], ctx.now()) : undefined;
      await drain(res.body);
      return { kind: 'failed', error: `HTTP ${status}`, status, retryable: true, ...(retryAfterMs === undefined ? {} : { retryAfterMs }), latencyMs: elapsed() };
    }
    if (status < 200 || status >= 300) {
      // A 404 or a redirect is a wrong URL, not a passing hiccup: another attempt would get the same answer.
      await drain(res.body);
      return { kind: 'failed', error: `HTTP ${status}`, status, retryable: false, latencyMs: elapsed() };
    }

    const body = await readBodyCapped(res.body, ctx.maxBodyBytes, res.headers['content-length']);
    const parsed = parseMetrics(body);
    if (typeof parsed === 'string') return { kind: 'failed', error: `malformed body: ${parsed}`, status, retryable: true, latencyMs: elapsed() };
    return { kind: 'ok', status, metrics: parsed, latencyMs: elapsed() };
  } catch (err) {
    if (ctx.signal.aborted) return { kind: 'aborted', latencyMs: elapsed() };
    if (err instanceof BodyTooLargeError) return { kind: 'failed', error: err.message, status: 200, retryable: true, latencyMs: elapsed() };
    if (timedOut) return { kind: 'failed', error: `timeout after ${ctx.timeoutMs}ms`, retryable: true, latencyMs: elapsed() };
    // A certificate that is not trusted now will not be trusted on the next attempt.
    return { kind: 'failed', error: describeNetworkError(err), retryable: !isTlsError(err), latencyMs: elapsed() };
  } finally {
    clearTimeout(timer);
    ctx.signal.removeEventListener('abort', onAbort);
  }
}

/** The `metrics` object of a 200 body, or why there is none. */
export function parseMetrics(body: Buffer): Record<string, unknown> | string {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    return body.length === 0 ? 'empty body' : 'not JSON';
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return 'expected a JSON object';
  const metrics = (doc as Record<string, unknown>).metrics;
  if (metrics === undefined) return 'no "metrics" object';
  if (typeof metrics !== 'object' || metrics === null || Array.isArray(metrics)) return '"metrics" is not an object';
  return metrics as Record<string, unknown>;
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
 * message is used: neither contains request headers, so the signature cannot leak through here.
 */
export function describeNetworkError(err: unknown): string {
  const code = errorCode(err);
  if (code && NETWORK_ERRORS[code]) return NETWORK_ERRORS[code];
  if (code && TLS_ERRORS.has(code)) return `TLS certificate not trusted (${code}): use a certificate this machine trusts, add your CA with NODE_EXTRA_CA_CERTS=ca.pem, or (never in production) --insecure`;
  if (code?.startsWith('HPE_')) return 'invalid HTTP response';
  if (code) return `network error (${code})`;
  const message = err instanceof Error ? err.message : String(err);
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

async function drain(body: Dispatcher.ResponseData['body']): Promise<void> {
  try {
    await body.dump({ limit: DRAIN_LIMIT });
  } catch {
    // A body that fails while being thrown away changes nothing about the outcome.
  }
}
