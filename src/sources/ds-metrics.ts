/**
 * The `/ds-metrics` source (SPEC §4): every tick, one signed GET per endpoint, all endpoints at
 * once, each retried inside the tick's deadline. A failing endpoint becomes a failed result (a
 * missing sample); only a rejected signature (401/403) is thrown, because that is a configuration
 * error that no retry will fix.
 */
import type { Dispatcher } from 'undici';
import { optionName } from '../config/names.js';
import { AuthError, UsageError } from '../errors.js';
import { attemptOnce } from './attempt.js';
import { DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
import { redactText } from '../redact.js';
import { abortableSleep, describeFailure, iso, positive, eachUntilAuthError, RetryAfterHolds, withRetries } from './retrying.js';
import { sourceAgent } from './http-get.js';
import { parseEndpoint, type ParsedEndpoint } from './endpoint.js';
import type { CollectRequest, EndpointResult, MetricSource } from './types.js';
import { steadyNow } from '../sampling/clock.js';

export interface DsMetricsSourceOptions {
  /** Endpoint URLs; userinfo (`user:pass@`) is sent as Basic auth and redacted everywhere it is shown. */
  endpoints: string[];
  /** Several secrets during a rotation: each request then carries one `v1=` value per secret. */
  secret: string | string[];
  /** Budget of one attempt (request and body); also clipped to the tick's deadline. */
  timeoutMs: number;
  /** Extra attempts after the first. Default 3. */
  retries?: number;
  /** Bodies larger than this are cut off and count as a failed attempt. Default 1 MiB. */
  maxBodyBytes?: number;
  userAgent: string;
  /** Skip TLS certificate verification (--insecure). */
  insecure?: boolean;
  /** An undici dispatcher to use instead of the source's own Agent (not closed by `close()`). */
  dispatcher?: Dispatcher;
  /** Epoch ms; drives signature timestamps, deadlines and `taken_at`. Default: the wall clock for signatures, steadyNow (sampling/clock.ts) for the rest. */
  now?: () => number;
  /** In [0, 1): backoff jitter. Default Math.random. */
  random?: () => number;
  /** Waits between attempts; must resolve (not reject) early when `signal` aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  backoff?: BackoffPolicy;
}

export const DEFAULT_RETRIES = 3;
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export function createDsMetricsSource(opts: DsMetricsSourceOptions): MetricSource {
  const secrets = typeof opts.secret === 'string' ? [opts.secret] : [...opts.secret];
  if (secrets.length === 0 || secrets.some((s) => s.length === 0)) {
    throw new UsageError('no HMAC secret given', `Set SEQPULSE_HMAC_SECRET or use ${optionName('secret')}.`);
  }
  const endpoints = opts.endpoints.map(parseEndpoint);
  const timeoutMs = positive(opts.timeoutMs, 'timeoutMs');
  const retries = Math.max(0, Math.floor(opts.retries ?? DEFAULT_RETRIES));
  const maxBodyBytes = positive(opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, 'maxBodyBytes');
  const now = opts.now ?? Date.now;
  // Deadlines (the tick's, a Retry-After pause's) are on the run's steady clock, as the tick's deadline is.
  const steady = opts.now ?? steadyNow;
  const random = opts.random ?? Math.random;
  const sleep = opts.sleep ?? abortableSleep;
  const backoff = opts.backoff ?? DEFAULT_BACKOFF;
  const ownAgent = opts.dispatcher ? undefined : sourceAgent({ timeoutMs, insecure: opts.insecure });
  const dispatcher: Dispatcher = opts.dispatcher ?? ownAgent!;
  // Closing the source abandons whatever is still in flight, so close() cannot hang on a stuck app
  // (destroy, not close: close() would wait for a connection still being made, a TLS handshake never answered).
  const closing = new AbortController();

  // SPEC §4: 429 honours Retry-After, across ticks.
  const holds = new RetryAfterHolds<ParsedEndpoint>(steady, sleep);

  /** Belt and braces: no error text leaves this module with a secret in it, whatever produced it. */
  const scrub = (text: string): string => redactText(text, secrets);

  async function sampleEndpoint(endpoint: ParsedEndpoint, req: CollectRequest, signal: AbortSignal): Promise<EndpointResult> {
    const held = await holds.before(endpoint, req, req.deadline, signal);
    if (held) return { endpoint: endpoint.display, ok: false, attempts: 0, taken_at: iso(now()), ...held };
    const { last, attempts, at } = await withRetries(
      (budgetMs) =>
        attemptOnce({ dispatcher, endpoint, secret: secrets, phase: req.phase, deploymentId: req.deploymentId, userAgent: opts.userAgent, timeoutMs: budgetMs, maxBodyBytes, now, signal }),
      { deadline: req.deadline, timeoutMs, retries, signal, now: steady, random, sleep, backoff, pause: holds.gate(endpoint, req) },
    );
    if (last?.kind === 'ok') {
      return { endpoint: endpoint.display, ok: true, metrics: last.metrics, http_status: last.status, attempts, latency_ms: last.latencyMs, taken_at: iso(at) };
    }
    if (last?.kind === 'auth') throw new AuthError(endpoint.display, last.status);
    const failure = describeFailure(last, signal);
    return { endpoint: endpoint.display, ok: false, attempts, taken_at: iso(at), ...failure, error: scrub(failure.error) };
  }

  return {
    async collect(req: CollectRequest): Promise<EndpointResult[]> {
      if (closing.signal.aborted) throw new Error('the ds-metrics source is closed');
      return eachUntilAuthError(endpoints, (endpoint, signal) => sampleEndpoint(endpoint, req, signal), [closing.signal, req.signal]);
    },
    async close(): Promise<void> {
      if (closing.signal.aborted) return;
      closing.abort(new Error('source closed'));
      await ownAgent?.destroy();
    },
  };
}

export { abortableSleep };
