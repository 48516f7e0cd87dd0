import { describe, expect, it } from 'vitest';
import {
  canonicalString,
  Headers,
  NonceCache,
  newNonce,
  signatureHeader,
  signRequest,
  verifyRequest,
  type VerifyOptions,
} from '../../src/signing/signature.js';

/*
 * Known test vector (SPEC §4), quotable in docs. Cross-checked with openssl:
 *   printf 'v1\n1700000000\n0123456789abcdef0123456789abcdef\nGET\n/ds-metrics?instance=a' \
 *     | openssl dgst -sha256 -hmac 'seqpulse-test-secret'
 *
 *   secret    = seqpulse-test-secret
 *   timestamp = 1700000000            (2023-11-14T22:13:20Z)
 *   nonce     = 0123456789abcdef0123456789abcdef
 *   method    = GET
 *   target    = /ds-metrics?instance=a
 *   canonical = "v1\n1700000000\n0123456789abcdef0123456789abcdef\nGET\n/ds-metrics?instance=a"
 *   header    = v1=c8c977365e2c0233b8bcc70d217132fae7a580db6e5a84bcb86c5ccaeca96417
 *
 * Rotation, second secret `seqpulse-next-secret`, same input:
 *   v1=bc4af65df682566e4b0338f01a1aa0b390e8a0e7c3289e77dac09f962aee8a5b
 */
const VECTOR = {
  secret: 'seqpulse-test-secret',
  nextSecret: 'seqpulse-next-secret',
  timestamp: 1_700_000_000,
  nonce: '0123456789abcdef0123456789abcdef',
  method: 'GET',
  target: '/ds-metrics?instance=a',
  hex: 'c8c977365e2c0233b8bcc70d217132fae7a580db6e5a84bcb86c5ccaeca96417',
  nextHex: 'bc4af65df682566e4b0338f01a1aa0b390e8a0e7c3289e77dac09f962aee8a5b',
} as const;
const VECTOR_NOW_MS = VECTOR.timestamp * 1000;

function vectorHeaders(signature = `v1=${VECTOR.hex}`): Record<string, string> {
  return {
    [Headers.Timestamp]: String(VECTOR.timestamp),
    [Headers.Nonce]: VECTOR.nonce,
    [Headers.Signature]: signature,
  };
}

function verify(overrides: Partial<VerifyOptions> = {}) {
  return verifyRequest({
    secret: VECTOR.secret,
    method: VECTOR.method,
    target: VECTOR.target,
    headers: vectorHeaders(),
    nowMs: VECTOR_NOW_MS,
    ...overrides,
  });
}

describe('known test vector', () => {
  it('builds the canonical string from v1, timestamp, nonce, METHOD and target', () => {
    expect(canonicalString(VECTOR)).toBe('v1\n1700000000\n0123456789abcdef0123456789abcdef\nGET\n/ds-metrics?instance=a');
    expect(canonicalString({ ...VECTOR, method: 'get' })).toBe(canonicalString(VECTOR));
  });

  it('signs to the published hex', () => {
    expect(signatureHeader(VECTOR.secret, VECTOR)).toBe(`v1=${VECTOR.hex}`);
    expect(signRequest(VECTOR.secret, 'GET', VECTOR.target, VECTOR_NOW_MS + 999, VECTOR.nonce)).toEqual(vectorHeaders());
  });

  it('sends one v1= value per secret during a rotation, in order', () => {
    expect(signatureHeader([VECTOR.secret, VECTOR.nextSecret], VECTOR)).toBe(`v1=${VECTOR.hex},v1=${VECTOR.nextHex}`);
  });
});

describe('signRequest', () => {
  it('uses a fresh 32-hex nonce and the unix-second timestamp each call', () => {
    const a = signRequest('s', 'GET', '/ds-metrics', 1_700_000_000_500);
    const b = signRequest('s', 'GET', '/ds-metrics', 1_700_000_000_500);
    expect(a[Headers.Nonce]).toMatch(/^[0-9a-f]{32}$/);
    expect(a[Headers.Nonce]).not.toBe(b[Headers.Nonce]);
    expect(a[Headers.Signature]).not.toBe(b[Headers.Signature]);
    expect(a[Headers.Timestamp]).toBe('1700000000');
  });

  it('newNonce never repeats in a large batch', () => {
    const seen = new Set(Array.from({ length: 10_000 }, () => newNonce()));
    expect(seen.size).toBe(10_000);
  });
});

describe('verifyRequest', () => {
  it('accepts the valid vector request', () => {
    expect(verify()).toEqual({ ok: true });
  });

  it('accepts a freshly signed request with the default clock and a nonce cache', () => {
    const cache = new NonceCache();
    const headers = signRequest('k', 'GET', '/ds-metrics', Date.now());
    expect(verifyRequest({ secret: 'k', method: 'GET', target: '/ds-metrics', headers, rememberNonce: cache.remember })).toEqual({ ok: true });
  });

  it('rejects a wrong secret', () => {
    expect(verify({ secret: 'not-the-secret' })).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects a timestamp more than 300 s away, either way, and accepts exactly 300 s', () => {
    expect(verify({ nowMs: VECTOR_NOW_MS + 300_000 })).toEqual({ ok: true });
    expect(verify({ nowMs: VECTOR_NOW_MS - 300_000 })).toEqual({ ok: true });
    expect(verify({ nowMs: VECTOR_NOW_MS + 301_000 })).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(verify({ nowMs: VECTOR_NOW_MS - 301_000 })).toEqual({ ok: false, reason: 'stale_timestamp' });
  });

  it('honours a custom skew', () => {
    expect(verify({ nowMs: VECTOR_NOW_MS + 31_000, maxSkewSeconds: 30 })).toEqual({ ok: false, reason: 'stale_timestamp' });
  });

  it('rejects a replayed nonce', () => {
    const cache = new NonceCache();
    const remember = (nonce: string, ts: number) => cache.remember(nonce, ts, VECTOR.timestamp);
    expect(verify({ rememberNonce: remember })).toEqual({ ok: true });
    expect(verify({ rememberNonce: remember })).toEqual({ ok: false, reason: 'replayed_nonce' });
  });

  it('does not let a forged request burn a nonce', () => {
    const cache = new NonceCache();
    const remember = (nonce: string, ts: number) => cache.remember(nonce, ts, VECTOR.timestamp);
    expect(verify({ secret: 'attacker-guess', rememberNonce: remember })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verify({ rememberNonce: remember })).toEqual({ ok: true });
  });

  it('rejects a tampered target, method, timestamp or nonce', () => {
    expect(verify({ target: '/ds-metrics?instance=b' })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verify({ target: '/ds-metrics' })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verify({ method: 'POST' })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verify({ headers: { ...vectorHeaders(), [Headers.Timestamp]: String(VECTOR.timestamp + 1) } })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verify({ headers: { ...vectorHeaders(), [Headers.Nonce]: 'f'.repeat(32) } })).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects malformed headers', () => {
    const h = vectorHeaders();
    const without = (name: string) => Object.fromEntries(Object.entries(h).filter(([k]) => k !== name));
    expect(verify({ headers: without(Headers.Timestamp) })).toEqual({ ok: false, reason: 'missing_headers' });
    expect(verify({ headers: without(Headers.Nonce) })).toEqual({ ok: false, reason: 'missing_headers' });
    expect(verify({ headers: without(Headers.Signature) })).toEqual({ ok: false, reason: 'missing_headers' });
    expect(verify({ headers: { ...h, [Headers.Timestamp]: '1700000000.5' } })).toEqual({ ok: false, reason: 'bad_timestamp' });
    expect(verify({ headers: { ...h, [Headers.Timestamp]: '-1' } })).toEqual({ ok: false, reason: 'bad_timestamp' });
    expect(verify({ headers: { ...h, [Headers.Nonce]: VECTOR.nonce.toUpperCase() } })).toEqual({ ok: false, reason: 'bad_nonce' });
    expect(verify({ headers: { ...h, [Headers.Nonce]: VECTOR.nonce.slice(1) } })).toEqual({ ok: false, reason: 'bad_nonce' });
    for (const sig of [VECTOR.hex, `v2=${VECTOR.hex}`, `v1=${VECTOR.hex.slice(2)}`, `v1=${VECTOR.hex}00`, `v1=${VECTOR.hex.toUpperCase()}`, 'v1=', 'garbage']) {
      expect(verify({ headers: vectorHeaders(sig) }), sig).toEqual({ ok: false, reason: 'bad_signature' });
    }
  });

  it('reads the first value of a repeated header', () => {
    const headers = { ...vectorHeaders(), [Headers.Signature]: [`v1=${VECTOR.hex}`, 'v1=00'] };
    expect(verify({ headers })).toEqual({ ok: true });
  });
});

describe('rotation', () => {
  const both = `v1=${VECTOR.hex},v1=${VECTOR.nextHex}`;

  it('a receiver with either secret accepts a request signed with both', () => {
    expect(verify({ secret: VECTOR.secret, headers: vectorHeaders(both) })).toEqual({ ok: true });
    expect(verify({ secret: VECTOR.nextSecret, headers: vectorHeaders(both) })).toEqual({ ok: true });
    expect(verify({ secret: 'unrelated', headers: vectorHeaders(both) })).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('tolerates spaces and unknown versions next to a matching value', () => {
    expect(verify({ secret: VECTOR.nextSecret, headers: vectorHeaders(`v2=abc, v1=${VECTOR.hex} , v1=${VECTOR.nextHex}`) })).toEqual({ ok: true });
  });

  it('a receiver holding several secrets accepts a request signed with any one of them', () => {
    const secrets = [VECTOR.nextSecret, VECTOR.secret];
    expect(verify({ secret: secrets, headers: vectorHeaders(`v1=${VECTOR.hex}`) })).toEqual({ ok: true });
    expect(verify({ secret: secrets, headers: vectorHeaders(`v1=${VECTOR.nextHex}`) })).toEqual({ ok: true });
    expect(verify({ secret: ['a', 'b'], headers: vectorHeaders(both) })).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('signRequest with several secrets round-trips through verifyRequest', () => {
    const headers = signRequest(['old', 'new'], 'GET', '/m?x=1', Date.now());
    expect(verifyRequest({ secret: 'new', method: 'GET', target: '/m?x=1', headers })).toEqual({ ok: true });
    expect(verifyRequest({ secret: 'old', method: 'GET', target: '/m?x=1', headers })).toEqual({ ok: true });
    expect(verifyRequest({ secret: 'other', method: 'GET', target: '/m?x=1', headers })).toEqual({ ok: false, reason: 'bad_signature' });
  });
});

describe('NonceCache', () => {
  it('forgets nonces older than its ttl once it grows', () => {
    const cache = new NonceCache(10);
    expect(cache.remember('a'.repeat(32), 1000, 1000)).toBe(true);
    for (let i = 0; i < 1001; i++) cache.remember(i.toString(16).padStart(32, '0'), 1000, 1000);
    expect(cache.remember('a'.repeat(32), 1000, 1000)).toBe(false);
    // Past the ttl the entry is evicted; the timestamp check would reject such a request anyway.
    expect(cache.remember('a'.repeat(32), 1000, 2000)).toBe(true);
  });
});
