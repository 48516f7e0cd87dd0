/**
 * One signed GET to one `/ds-metrics` endpoint, turned into a plain outcome. Nothing here retries
 * or sleeps: the caller (ds-metrics.ts) decides what an outcome means for the next attempt.
 */
import type { Dispatcher } from 'undici';
import type { Phase } from '../core/types.js';
import { Headers, signRequest } from '../signing/signature.js';
import type { ParsedEndpoint } from './endpoint.js';
import { getOnce, type GetOutcome } from './http-get.js';
import { jsonNestingExceeds, MAX_JSON_DEPTH } from './json-depth.js';
import { utf8Body } from '../unicode.js';

/** The transport outcome, with a 200 body decoded into the app's `metrics` object. */
export type AttemptOutcome = Exclude<GetOutcome, { kind: 'ok' }> | { kind: 'ok'; status: number; metrics: Record<string, unknown>; latencyMs: number };

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

export async function attemptOnce(ctx: AttemptContext): Promise<AttemptOutcome> {
  if (ctx.signal.aborted) return { kind: 'aborted', latencyMs: 0 };
  // Signed here, per attempt: every retry gets its own nonce and timestamp, or the app would reject it as a replay.
  const headers: Record<string, string> = {
    ...signRequest(ctx.secret, 'GET', ctx.endpoint.target, ctx.now()),
    [Headers.DeploymentId]: ctx.deploymentId,
    [Headers.Phase]: ctx.phase,
    'user-agent': ctx.userAgent,
    accept: 'application/json',
  };
  if (ctx.endpoint.authorization) headers.authorization = ctx.endpoint.authorization;
  const outcome = await getOnce({ ...ctx, origin: ctx.endpoint.origin, path: ctx.endpoint.target, headers });
  if (outcome.kind !== 'ok') return outcome;
  const parsed = parseMetrics(outcome.body);
  if (typeof parsed === 'string') return { kind: 'failed', error: `malformed body: ${parsed}`, status: outcome.status, retryable: true, latencyMs: outcome.latencyMs };
  return { kind: 'ok', status: outcome.status, metrics: parsed, latencyMs: outcome.latencyMs };
}

/** The `metrics` object of a 200 body, or why there is none. */
export function parseMetrics(body: Buffer): Record<string, unknown> | string {
  if (jsonNestingExceeds(body)) return `nested deeper than ${MAX_JSON_DEPTH} levels`;
  // A byte order mark before the JSON is ignored, as RFC 8259 allows a parser to.
  const decoded = utf8Body(body);
  if (!('text' in decoded)) return decoded.reason;
  let doc: unknown;
  try {
    doc = JSON.parse(decoded.text);
  } catch {
    if (body.length === 0) return 'empty body';
    // A proxy's error or login page answering in the app's place: said as such.
    return /^\s*</.test(body.subarray(0, 64).toString('utf8')) ? 'HTML, not JSON (a proxy or login page answering for the app?)' : 'not JSON';
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return 'expected a JSON object';
  const metrics = (doc as Record<string, unknown>).metrics;
  if (metrics === undefined) return 'no "metrics" object';
  if (typeof metrics !== 'object' || metrics === null || Array.isArray(metrics)) return '"metrics" is not an object';
  return metrics as Record<string, unknown>;
}
