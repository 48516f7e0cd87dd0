/** Property tests for the request signature: what is signed verifies, any change to what is signed does not. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Headers, newNonce, signRequest, verifyRequest } from '../../src/signing/signature.js';

const NOW = 1_700_000_000_000;
const secret = fc.string({ minLength: 1, maxLength: 64 });
const target = fc.webPath().chain((path) => fc.webQueryParameters().map((q) => `${path || '/'}${q ? `?${q}` : ''}`));
const method = fc.constantFrom('GET', 'get', 'Get');

describe('signature', () => {
  it('sign then verify round-trips for any secret and target', () => {
    fc.assert(fc.property(secret, target, method, (s, t, m) => {
      const headers = signRequest(s, m, t, NOW);
      expect(verifyRequest({ secret: s, method: 'GET', target: t, headers, nowMs: NOW })).toEqual({ ok: true });
    }));
  });

  it('changing one character of the target, the nonce, the timestamp or the signature fails', () => {
    fc.assert(fc.property(secret, target, fc.nat(), fc.constantFrom('target', 'nonce', 'timestamp', 'signature'), (s, t, at, part) => {
      const headers = signRequest(s, 'GET', t, NOW);
      const flip = (text: string, alphabet: string) => {
        const i = at % text.length;
        const next = alphabet[(alphabet.indexOf(text[i]!) + 1) % alphabet.length] ?? alphabet[0]!;
        return text.slice(0, i) + (next === text[i] ? alphabet[1]! : next) + text.slice(i + 1);
      };
      const changed = { ...headers };
      let tgt = t;
      if (part === 'target') tgt = flip(t, 'abcdefghijklmnopqrstuvwxyz/?=&0123456789');
      if (part === 'nonce') changed[Headers.Nonce] = flip(headers[Headers.Nonce]!, '0123456789abcdef');
      if (part === 'timestamp') changed[Headers.Timestamp] = String(Number(headers[Headers.Timestamp]) + 1 + (at % 100));
      if (part === 'signature') changed[Headers.Signature] = `v1=${flip(headers[Headers.Signature]!.slice(3), '0123456789abcdef')}`;
      expect(verifyRequest({ secret: s, method: 'GET', target: tgt, headers: changed, nowMs: NOW }).ok).toBe(false);
    }));
  });

  it('another secret never verifies', () => {
    fc.assert(fc.property(secret, secret, target, (a, b, t) => {
      fc.pre(a !== b);
      expect(verifyRequest({ secret: b, method: 'GET', target: t, headers: signRequest(a, 'GET', t, NOW), nowMs: NOW })).toEqual({ ok: false, reason: 'bad_signature' });
    }));
  });

  it('nonces are unique across 100,000 requests', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) seen.add(newNonce());
    expect(seen.size).toBe(100_000);
    for (const n of [...seen].slice(0, 100)) expect(n).toMatch(/^[0-9a-f]{32}$/);
  });
});
