import { describe, expect, it } from 'vitest';
import { backoffDelay, parseRetryAfter, planRetry } from '../../src/sources/backoff.js';

describe('backoffDelay (full jitter)', () => {
  it('grows exponentially from the base and stops at the cap', () => {
    const max = () => 0.999999;
    expect(backoffDelay(1, max)).toBe(99);
    expect(backoffDelay(2, max)).toBe(199);
    expect(backoffDelay(3, max)).toBe(399);
    expect(backoffDelay(5, max)).toBe(1599);
    expect(backoffDelay(6, max)).toBe(1999);
    expect(backoffDelay(1_000, max)).toBe(1999);
  });

  it('spreads uniformly down to zero', () => {
    expect(backoffDelay(4, () => 0)).toBe(0);
    expect(backoffDelay(4, () => 0.5)).toBe(400);
  });

  it('accepts a custom policy and clamps a bad random value', () => {
    expect(backoffDelay(3, () => 0.5, { baseMs: 10, capMs: 1000 })).toBe(20);
    expect(backoffDelay(1, () => 7)).toBe(100);
    expect(backoffDelay(1, () => -1)).toBe(0);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-18T12:00:00Z');

  it('reads delay-seconds', () => {
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter(['3', '9'], now)).toBe(3000);
  });

  it('reads an HTTP date relative to now, a past date meaning now', () => {
    expect(parseRetryAfter('Sun, 18 Jan 2026 12:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Sun, 18 Jan 2026 11:59:00 GMT', now)).toBe(0);
  });

  it("reads an HTTP date against the server's Date header when it parses, its clock being what the date is on", () => {
    // The server's clock is an hour ahead; by it, the pause is 5 s.
    expect(parseRetryAfter('Sun, 18 Jan 2026 13:00:05 GMT', now, 'Sun, 18 Jan 2026 13:00:00 GMT')).toBe(5000);
    expect(parseRetryAfter('Sun, 18 Jan 2026 13:00:05 GMT', now, ['Sun, 18 Jan 2026 13:00:00 GMT'])).toBe(5000);
    expect(parseRetryAfter('Sun, 18 Jan 2026 12:59:00 GMT', now, 'Sun, 18 Jan 2026 13:00:00 GMT')).toBe(0);
    // No usable Date header: our own clock.
    for (const date of [undefined, '', 'garbage', '12345']) expect(parseRetryAfter('Sun, 18 Jan 2026 12:00:05 GMT', now, date), String(date)).toBe(5000);
    // delay-seconds never depend on either clock.
    expect(parseRetryAfter('2', now, 'Sun, 18 Jan 2026 13:00:00 GMT')).toBe(2000);
  });

  it('ignores what it cannot trust', () => {
    for (const bad of [undefined, '', '  ', '-1', '1.5', 'soon', '1e3']) expect(parseRetryAfter(bad, now), String(bad)).toBeUndefined();
  });
});

describe('planRetry', () => {
  const base = { failedAttempts: 1, maxRetries: 3, retryable: true, nowMs: 0, deadline: 10_000, random: () => 0.5 };

  it('retries a retryable failure with jittered backoff', () => {
    expect(planRetry(base)).toEqual({ retry: true, delayMs: 50 });
    expect(planRetry({ ...base, failedAttempts: 3 })).toEqual({ retry: true, delayMs: 200 });
  });

  it('stops on a non-retryable failure or when retries are used up', () => {
    expect(planRetry({ ...base, retryable: false })).toEqual({ retry: false, reason: 'not_retryable' });
    expect(planRetry({ ...base, failedAttempts: 4 })).toEqual({ retry: false, reason: 'exhausted' });
    expect(planRetry({ ...base, maxRetries: 0 })).toEqual({ retry: false, reason: 'exhausted' });
  });

  it('never plans an attempt at or after the deadline', () => {
    expect(planRetry({ ...base, nowMs: 9_950 })).toEqual({ retry: false, reason: 'deadline' });
    expect(planRetry({ ...base, nowMs: 9_949 })).toEqual({ retry: true, delayMs: 50 });
  });

  it('honours Retry-After when it fits, and gives up when it does not', () => {
    expect(planRetry({ ...base, retryAfterMs: 2_000 })).toEqual({ retry: true, delayMs: 2_000 });
    // A shorter Retry-After than the backoff still gets the backoff: it is a minimum, not a schedule.
    expect(planRetry({ ...base, retryAfterMs: 0 })).toEqual({ retry: true, delayMs: 50 });
    expect(planRetry({ ...base, retryAfterMs: 10_000 })).toEqual({ retry: false, reason: 'retry_after_past_deadline' });
  });
});
