/** The pause a peer asks for with Retry-After (retrying.ts RetryAfterHolds), on a clock the test moves. */
import { describe, expect, it } from 'vitest';
import { MAX_HOLD_MS, RetryAfterHolds } from '../../src/sources/retrying.js';

function clocked() {
  let now = 1_000_000;
  const slept: number[] = [];
  const holds = new RetryAfterHolds<string>(
    () => now,
    async (ms) => {
      slept.push(ms);
      now += ms;
    },
  );
  return { holds, slept, at: () => now, advance: (ms: number) => (now += ms) };
}

const signal = new AbortController().signal;
const failed = (status: number, retryAfterMs: number) => ({ kind: 'failed' as const, error: `HTTP ${status}`, status, retryable: true, retryAfterMs, latencyMs: 5 });

describe('Retry-After holds', () => {
  it('a pause of a day is honoured for at most a minute: a tick reaching past that waits for it, then asks (a peer that recovered is seen recovering)', async () => {
    const c = clocked();
    c.holds.gate('a').note(failed(503, 86_400_000), c.at());
    // A tick that ends within the minute is not asked; the status that asked for the pause goes with it.
    expect(await c.holds.before('a', c.at() + 10_000, signal)).toEqual({ error: expect.stringMatching(/^HTTP 503 earlier: not asked, Retry-After not over yet \(/), http_status: 503 });
    // One that reaches past the minute waits out what is left of it, and may ask.
    expect(await c.holds.before('a', c.at() + MAX_HOLD_MS + 1_000, signal)).toBeUndefined();
    expect(c.slept).toEqual([MAX_HOLD_MS]);
    // The hold is gone: the next tick asks at once.
    expect(await c.holds.before('a', c.at() + 1_000, signal)).toBeUndefined();
    expect(c.slept).toHaveLength(1);
  });

  it('a pause shorter than the cap is honoured as asked, and a 429 is said as a 429', async () => {
    const c = clocked();
    c.holds.gate('a').note(failed(429, 2_000), c.at());
    expect(await c.holds.before('a', c.at() + 1_000, signal)).toMatchObject({ http_status: 429 });
    c.advance(500);
    expect(await c.holds.before('a', c.at() + 5_000, signal)).toBeUndefined();
    expect(c.slept).toEqual([1_500]);
  });
});
