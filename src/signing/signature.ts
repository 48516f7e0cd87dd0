/**
 * The `/ds-metrics` request signature (SPEC §4), shared by seqpulse (signing) and apps (verifying).
 * Exported from the package so an app can `import { verifyRequest } from 'seqpulse'`.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_VERSION = 'v1';
/** Receivers reject timestamps further than this from their own clock. */
export const MAX_CLOCK_SKEW_SECONDS = 300;

export const Headers = {
  Timestamp: 'x-seqpulse-timestamp',
  Nonce: 'x-seqpulse-nonce',
  Signature: 'x-seqpulse-signature',
  DeploymentId: 'x-seqpulse-deployment-id',
  Phase: 'x-seqpulse-phase',
} as const;

export interface SignatureInput {
  /** Unix seconds. */
  timestamp: number;
  /** 32 hex characters, never reused. */
  nonce: string;
  method: string;
  /** Path and query string exactly as sent, e.g. `/ds-metrics?instance=a`. */
  target: string;
}

/** The canonical string: `v1`, timestamp, nonce, METHOD, target, joined by `\n`. */
export function canonicalString(input: SignatureInput): string {
  return [SIGNATURE_VERSION, String(input.timestamp), input.nonce, input.method.toUpperCase(), input.target].join('\n');
}

/** `v1=<hex HMAC-SHA256>`; with several secrets (rotation), several comma-separated values. */
export function signatureHeader(secrets: string | readonly string[], input: SignatureInput): string {
  const list = typeof secrets === 'string' ? [secrets] : secrets;
  const canonical = canonicalString(input);
  return list.map((s) => `${SIGNATURE_VERSION}=${hmacHex(s, canonical)}`).join(',');
}

export function newNonce(): string {
  return randomBytes(16).toString('hex');
}

/** All headers for one signed request; call once per attempt so every retry gets a fresh nonce and timestamp. */
export function signRequest(
  secrets: string | readonly string[],
  method: string,
  target: string,
  nowMs: number,
  nonce: string = newNonce(),
): Record<string, string> {
  const timestamp = Math.floor(nowMs / 1000);
  return {
    [Headers.Timestamp]: String(timestamp),
    [Headers.Nonce]: nonce,
    [Headers.Signature]: signatureHeader(secrets, { timestamp, nonce, method, target }),
  };
}

export type VerifyFailure = 'missing_headers' | 'bad_timestamp' | 'stale_timestamp' | 'bad_nonce' | 'replayed_nonce' | 'bad_signature';
export type VerifyResult = { ok: true } | { ok: false; reason: VerifyFailure };

export interface VerifyOptions {
  secret: string | readonly string[];
  method: string;
  target: string;
  headers: Record<string, string | string[] | undefined>;
  /** Receiver's clock in ms; defaults to Date.now(). */
  nowMs?: number;
  /** Returns true the first time a nonce is seen, false for a replay. Use a NonceCache or your own shared store. */
  rememberNonce?: (nonce: string, timestamp: number) => boolean;
  maxSkewSeconds?: number;
}

/** Checks a signed request the way SPEC §4 asks receivers to: timestamp window, fresh nonce, constant-time signature match. */
export function verifyRequest(opts: VerifyOptions): VerifyResult {
  const ts = header(opts.headers, Headers.Timestamp);
  const nonce = header(opts.headers, Headers.Nonce);
  const sig = header(opts.headers, Headers.Signature);
  if (!ts || !nonce || !sig) return { ok: false, reason: 'missing_headers' };
  if (!/^\d{1,12}$/.test(ts)) return { ok: false, reason: 'bad_timestamp' };
  const timestamp = Number(ts);
  const now = Math.floor((opts.nowMs ?? Date.now()) / 1000);
  if (Math.abs(now - timestamp) > (opts.maxSkewSeconds ?? MAX_CLOCK_SKEW_SECONDS)) return { ok: false, reason: 'stale_timestamp' };
  if (!/^[0-9a-f]{32}$/.test(nonce)) return { ok: false, reason: 'bad_nonce' };

  const canonical = canonicalString({ timestamp, nonce, method: opts.method, target: opts.target });
  const secrets = typeof opts.secret === 'string' ? [opts.secret] : opts.secret;
  // Only well-formed values are compared; the expected length is public, the content is compared in constant time.
  const offered = sig
    .split(',')
    .map((s) => s.trim())
    .filter((s) => /^v1=[0-9a-f]{64}$/.test(s))
    .map((s) => Buffer.from(s.slice(3), 'hex'));
  let matched = false;
  // Every pair is compared, with no early exit, so timing does not reveal which secret or value matched.
  for (const secret of secrets) {
    const expected = Buffer.from(hmacHex(secret, canonical), 'hex');
    for (const value of offered) matched = timingSafeEqual(expected, value) || matched;
  }
  if (!matched) return { ok: false, reason: 'bad_signature' };
  // The nonce is only remembered for requests that were authentic, so forged traffic cannot fill the cache.
  if (opts.rememberNonce && !opts.rememberNonce(nonce, timestamp)) return { ok: false, reason: 'replayed_nonce' };
  return { ok: true };
}

/**
 * In-memory replay guard for a single process: remembers nonces for the skew window, after which the timestamp check rejects them anyway.
 */
export class NonceCache {
  private readonly seen = new Map<string, number>();
  constructor(private readonly ttlSeconds: number = MAX_CLOCK_SKEW_SECONDS * 2) {}

  remember = (nonce: string, timestamp: number, nowSeconds: number = Math.floor(Date.now() / 1000)): boolean => {
    if (this.seen.size > 1000) this.evict(nowSeconds);
    if (this.seen.has(nonce)) return false;
    this.seen.set(nonce, timestamp);
    return true;
  };

  private evict(nowSeconds: number): void {
    for (const [nonce, ts] of this.seen) if (nowSeconds - ts > this.ttlSeconds) this.seen.delete(nonce);
  }
}

function hmacHex(secret: string, canonical: string): string {
  return createHmac('sha256', secret).update(canonical, 'utf8').digest('hex');
}

/** Header lookup by name, whatever the case of the keys (Node lower-cases them; other frameworks may not). */
function header(headers: VerifyOptions['headers'], name: string): string | undefined {
  let value = headers[name];
  if (value === undefined) {
    const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
    value = key === undefined ? undefined : headers[key];
  }
  return Array.isArray(value) ? value[0] : value;
}
