/**
 * Retry timing for `/ds-metrics` requests: pure functions (no clock, no randomness of their own),
 * so the policy can be tested exactly and the source stays a thin loop around them.
 */

export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
}

/** Small base: a sample tick only lasts max(interval, timeout), so waiting long would cost the sample itself. */
export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 100, capMs: 2_000 };

/**
 * Exponential backoff with full jitter (a uniform delay in [0, min(cap, base * 2^(n-1)))):
 * several seqpulse runs hitting the same struggling app spread their retries instead of
 * arriving together.
 * @param failedAttempts attempts that have failed so far (1 after the first failure)
 * @param random a value in [0, 1), e.g. Math.random
 */
export function backoffDelay(failedAttempts: number, random: () => number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  // The exponent is clamped so a large attempt count cannot overflow to Infinity before the cap applies.
  const exponent = Math.min(Math.max(failedAttempts - 1, 0), 30);
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** exponent);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(r * ceiling);
}

/**
 * `Retry-After` as a delay in ms from `nowMs`: either delay-seconds (`120`) or an HTTP date
 * (`Wed, 21 Oct 2015 07:28:00 GMT`). A date in the past means "now" (0). Anything unparsable is
 * ignored (undefined) rather than trusted, so a broken header falls back to normal backoff.
 *
 * A date is the server's clock, not ours: it is read against the answer's own `Date` header when
 * that parses (`serverDate`), so a server whose clock is an hour ahead asking for a pause of 2 s
 * gets 2 s, not an hour and 2 s (an hour of POST samples not taken reads as a failing endpoint).
 */
export function parseRetryAfter(value: string | readonly string[] | undefined, nowMs: number, serverDate?: string | readonly string[]): number | undefined {
  const raw = (Array.isArray(value) ? value[0] : value) as string | undefined;
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) {
    const seconds = Number(text);
    return Number.isSafeInteger(seconds) ? seconds * 1000 : undefined;
  }
  // Only something that looks like a date is parsed: Date.parse would also accept "1.5" or "-3".
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  const dateText = (Array.isArray(serverDate) ? serverDate[0] : serverDate) as string | undefined;
  const sent = dateText !== undefined && /[a-z]/i.test(dateText) ? Date.parse(dateText) : NaN;
  return Math.max(0, at - (Number.isNaN(sent) ? nowMs : sent));
}

export interface RetryInput {
  /** Attempts made so far, all failed (>= 1). */
  failedAttempts: number;
  /** Extra attempts allowed after the first. */
  maxRetries: number;
  /** Whether the last failure is worth another attempt (5xx, 429, timeout, network, malformed body). */
  retryable: boolean;
  /** The server's `Retry-After`, already converted to ms, when it sent one on a 429/503. */
  retryAfterMs?: number;
  nowMs: number;
  /** No attempt may start at or after this epoch ms. */
  deadline: number;
  random: () => number;
  policy?: BackoffPolicy;
}

export type RetryDecision =
  | { retry: true; delayMs: number }
  | { retry: false; reason: 'not_retryable' | 'exhausted' | 'deadline' | 'retry_after_past_deadline' };

/** Whether and when to try again. Never schedules an attempt at or after the deadline. */
export function planRetry(input: RetryInput): RetryDecision {
  if (!input.retryable) return { retry: false, reason: 'not_retryable' };
  if (input.failedAttempts > input.maxRetries) return { retry: false, reason: 'exhausted' };
  const jitter = backoffDelay(input.failedAttempts, input.random, input.policy);
  if (input.retryAfterMs !== undefined) {
    // The server asked for a pause; retrying sooner would be rude and likely rejected again,
    // and if the pause outlasts this tick the sample is better given up than squeezed in.
    const delayMs = Math.max(input.retryAfterMs, jitter);
    if (input.nowMs + delayMs >= input.deadline) return { retry: false, reason: 'retry_after_past_deadline' };
    return { retry: true, delayMs };
  }
  if (input.nowMs + jitter >= input.deadline) return { retry: false, reason: 'deadline' };
  return { retry: true, delayMs: jitter };
}
