/** The pause a peer asks for with Retry-After (retrying.ts RetryAfterHolds), on a clock the test moves. */
import { describe, expect, it } from 'vitest';
import { MAX_HOLD_MS, RetryAfterHolds, type Tick } from '../../src/sources/retrying.js';

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
/** A new tick of the phase: each tick is its own object. */
const pre = (): Tick => ({ phase: 'pre' });
const post = (): Tick => ({ phase: 'post' });

describe('Retry-After holds', () => {
  it('a pause of a day is honoured for at most a minute: a tick reaching past that waits for it, then asks (a peer that recovered is seen recovering)', async () => {
    const c = clocked();
    c.holds.gate('a', post()).note(failed(503, 86_400_000), c.at(), false);
    // A tick that ends within the minute is not asked; the status that asked for the pause goes with it.
    expect(await c.holds.before('a', post(), c.at() + 10_000, signal)).toEqual({ error: expect.stringMatching(/^HTTP 503 earlier: not asked, Retry-After not over yet \(/), http_status: 503 });
    // One that reaches past the minute waits out what is left of it, and may ask.
    expect(await c.holds.before('a', post(), c.at() + MAX_HOLD_MS + 1_000, signal)).toBeUndefined();
    expect(c.slept).toEqual([MAX_HOLD_MS]);
    // The hold is gone: the next tick asks at once.
    expect(await c.holds.before('a', post(), c.at() + 1_000, signal)).toBeUndefined();
    expect(c.slept).toHaveLength(1);
  });

  it('a pause shorter than the cap is honoured as asked, and a 429 is said as a 429', async () => {
    const c = clocked();
    c.holds.gate('a', post()).note(failed(429, 2_000), c.at(), false);
    expect(await c.holds.before('a', post(), c.at() + 1_000, signal)).toMatchObject({ http_status: 429 });
    c.advance(500);
    expect(await c.holds.before('a', post(), c.at() + 5_000, signal)).toBeUndefined();
    expect(c.slept).toEqual([1_500]);
  });

  it('one tick waits a pause out: another whose deadline also reaches past it sends nothing, instead of sending with it the moment it ends', async () => {
    let now = 1_000_000;
    let wake!: () => void;
    // A sleep that ends when the test says: the first tick is still waiting when the second comes.
    const holds = new RetryAfterHolds<string>(
      () => now,
      (ms) =>
        new Promise<void>((resolve) => {
          wake = () => {
            now += ms;
            resolve();
          };
        }),
    );
    holds.gate('a', post()).note(failed(429, 2_000), now, false);
    const tick = post();
    const waiting = holds.before('a', tick, now + 5_000, signal);
    const wakeFirst = wake;
    expect(await holds.before('a', post(), now + 5_000, signal)).toMatchObject({ error: expect.stringMatching(/^HTTP 429 earlier: not asked/), http_status: 429 });
    // The same tick's other queries wait with it: the pause is the tick's to wait out, not one request's.
    const alsoWaiting = holds.before('a', tick, now + 5_000, signal);
    wake();
    wakeFirst();
    expect(await waiting).toBeUndefined();
    expect(await alsoWaiting).toBeUndefined();
  });

  it("the tick whose own retry a pause delays is the one that waits it out: other ticks meanwhile send nothing, and its retry is not held by its own pause", async () => {
    const c = clocked();
    const tick = post();
    const gate = c.holds.gate('a', tick);
    gate.note(failed(429, 1_000), c.at(), true);
    expect(await c.holds.before('a', post(), c.at() + 5_000, signal)).toMatchObject({ http_status: 429 });
    // The retry loop slept the pause out itself (planRetry's delay): it asks, without a second wait.
    expect(await gate.wait(c.at() + 5_000, signal)).toBe(false);
    expect(c.slept).toEqual([]);
    // Its pause is over: the next tick asks at once.
    expect(await c.holds.before('a', post(), c.at() + 1_000, signal)).toBeUndefined();
  });

  it('a pause asked before the deploy holds the endpoint after it, but says nothing of it: no status to count against the deploy', async () => {
    const c = clocked();
    c.holds.gate('a', pre()).note(failed(503, 60_000), c.at(), false);
    const held = await c.holds.before('a', post(), c.at() + 1_000, signal);
    expect(held).toEqual({ error: expect.stringMatching(/^HTTP 503 before the deploy: not asked, Retry-After not over yet \(/) });
    // PRE's own ticks are held by it as before.
    expect(await c.holds.before('a', pre(), c.at() + 1_000, signal)).toMatchObject({ http_status: 503 });
  });

  it('a tick stopped while it waits a pause out leaves it to the next tick that can', async () => {
    const c = clocked();
    // A sleep that never ends by itself: only the abort ends it.
    const holds = new RetryAfterHolds<string>(c.at, (_ms, s) => new Promise<void>((resolve) => s.addEventListener('abort', () => resolve(), { once: true })));
    holds.gate('a', post()).note(failed(429, 2_000), c.at(), false);
    const stopped = new AbortController();
    const waiting = holds.before('a', post(), c.at() + 5_000, stopped.signal);
    stopped.abort();
    expect(await waiting).toBeUndefined();
    // The pause is still on, and the next tick whose deadline reaches past it may wait for it.
    const next = new AbortController();
    const again = holds.before('a', post(), c.at() + 5_000, next.signal);
    next.abort();
    expect(await again).toBeUndefined();
    expect(await holds.before('a', post(), c.at() + 1_000, signal)).toMatchObject({ http_status: 429 });
  });
});
