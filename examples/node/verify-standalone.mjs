// Verifying seqpulse's signed requests with node:crypto only, for apps that cannot add the
// `seqpulse` dependency. Same rules as SPEC §4 and the package's verifyRequest.
import { createHmac, timingSafeEqual } from 'node:crypto';

const MAX_SKEW_SECONDS = 300;
const seen = new Map(); // nonce -> timestamp; one process only (use a shared store across replicas)

/**
 * @param {object} req { secrets: string[], method, target (path + query as received), headers (lower-case keys), now (ms) }
 * @returns {{ ok: true } | { ok: false, reason: string }}
 */
export function verify({ secrets, method, target, headers, now = Date.now() }) {
  const ts = headers['x-seqpulse-timestamp'];
  const nonce = headers['x-seqpulse-nonce'];
  const signature = headers['x-seqpulse-signature'];
  if (!ts || !nonce || !signature) return { ok: false, reason: 'missing_headers' };
  if (!/^\d{1,12}$/.test(ts)) return { ok: false, reason: 'bad_timestamp' };
  if (Math.abs(Math.floor(now / 1000) - Number(ts)) > MAX_SKEW_SECONDS) return { ok: false, reason: 'stale_timestamp' };
  if (!/^[0-9a-f]{32}$/.test(nonce)) return { ok: false, reason: 'bad_nonce' };

  const canonical = ['v1', ts, nonce, method.toUpperCase(), target].join('\n');
  // During a rotation the header carries several `v1=` values: any one may match any of our secrets.
  const offered = signature.split(',').map((s) => s.trim()).filter((s) => /^v1=[0-9a-f]{64}$/.test(s)).map((s) => Buffer.from(s.slice(3), 'hex'));
  let matched = false;
  for (const secret of secrets) {
    const expected = createHmac('sha256', secret).update(canonical).digest();
    for (const value of offered) matched = timingSafeEqual(expected, value) || matched; // constant time, no early exit
  }
  if (!matched) return { ok: false, reason: 'bad_signature' };
  if (seen.has(nonce)) return { ok: false, reason: 'replayed_nonce' };
  seen.set(nonce, Number(ts));
  for (const [n, t] of seen) if (Number(ts) - t > 2 * MAX_SKEW_SECONDS) seen.delete(n); // older ones fail the time check anyway
  return { ok: true };
}
