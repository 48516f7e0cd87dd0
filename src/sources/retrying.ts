/**
 * The retry loop every HTTP source runs for one request inside one tick: attempt, ask
 * `planRetry` whether and when to try again, sleep, repeat, never past the tick's deadline.
 * The attempt itself is the caller's (signed `/ds-metrics` GET, `/metrics` scrape, API query).
 */
import { setMaxListeners } from 'node:events';
import { formatDuration } from '../config/duration.js';
import { AuthError, UsageError } from '../errors.js';
import { systemClock } from '../sampling/clock.js';
import { planRetry, type BackoffPolicy } from './backoff.js';
import type { Phase } from '../core/types.js';

/** What the loop needs to know about an attempt; every `GetOutcome`-shaped union fits. */
export type RetriableOutcome =
  | { kind: 'ok' }
  | { kind: 'auth' }
  | { kind: 'aborted'; latencyMs: number }
  | { kind: 'failed'; error: string; status?: number; retryable: boolean; retryAfterMs?: number; latencyMs: number };

export interface RetryLoopOptions {
  /** Epoch ms: no attempt starts at or after it. */
  deadline: number;
  /** Budget of one attempt; clipped to what is left before the deadline. */
  timeoutMs: number;
  /** Extra attempts after the first. */
  retries: number;
  signal: AbortSignal;
  now: () => number;
  random: () => number;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  backoff: BackoffPolicy;
  /** The peer's pause (RetryAfterHolds.gate): every failure tells it at once, every retry waits for it. */
  pause?: PauseGate;
}

/**
 * A peer's Retry-After pause as one request's retry loop sees it. Ticks overlap when the timeout
 * is longer than the interval, and one tick's queries run side by side: a pause asked of one
 * attempt holds them all, from the moment it is asked, not from when that attempt's loop ends.
 */
export interface PauseGate {
  /** Waits out the pause; true when nothing more may be sent in this tick (the pause runs past `deadline`, or another tick waits it out). */
  wait(deadline: number, signal: AbortSignal): Promise<boolean>;
  /** A failed attempt: one that asked for a pause holds the peer from `at`; `retrying`: this loop will ask again once it is over. */
  note(outcome: RetriableOutcome, at: number, retrying: boolean): void;
}

export interface RetryLoopResult<O> {
  /** The last attempt's outcome: `ok` or `auth` as soon as one comes, else the last failure; none if no attempt could start. */
  last: O | undefined;
  attempts: number;
  /** Epoch ms the last attempt completed. */
  at: number;
}

export async function withRetries<O extends RetriableOutcome>(attempt: (budgetMs: number) => Promise<O>, opts: RetryLoopOptions): Promise<RetryLoopResult<O>> {
  let attempts = 0;
  let last: O | undefined;
  let at = opts.now();
  for (;;) {
    // The first attempt's pause is the caller's to check (it reports a tick that asked nothing).
    if (attempts > 0 && opts.pause && (await opts.pause.wait(opts.deadline, opts.signal))) break;
    const remaining = opts.deadline - opts.now();
    if (remaining <= 0 || opts.signal.aborted) break;
    attempts++;
    last = await attempt(Math.min(opts.timeoutMs, remaining));
    at = opts.now();
    const outcome: RetriableOutcome = last;
    if (outcome.kind !== 'failed') break;
    const decision = planRetry({
      failedAttempts: attempts,
      maxRetries: opts.retries,
      retryable: outcome.retryable,
      ...(outcome.retryAfterMs === undefined ? {} : { retryAfterMs: outcome.retryAfterMs }),
      nowMs: at,
      deadline: opts.deadline,
      random: opts.random,
      policy: opts.backoff,
    });
    opts.pause?.note(outcome, at, decision.retry);
    if (!decision.retry) break;
    if (decision.delayMs > 0) await opts.sleep(decision.delayMs, opts.signal);
  }
  return { last, attempts, at };
}

/** In the error of a sample no request was sent for (its `attempts` are 0, which is what counts). */
const NOT_ASKED = 'not asked, Retry-After not over yet';

/**
 * The longest pause honoured: a peer that asked for an hour (or a year) once and then recovered is
 * asked again after this, so its recovery is seen; one still failing says so again.
 */
export const MAX_HOLD_MS = 60_000;

/**
 * The tick a request is for: one object per tick (who waits out a pause is told by it), and its
 * phase (a pause asked before the deploy says nothing of the endpoint after it).
 */
export interface Tick {
  readonly phase: Phase;
}

/** A peer's pause: until when, the status and the phase of the answer that asked for it, and the one tick that waits it out. */
interface Held {
  until: number;
  status: number;
  phase: Phase;
  waiter?: Tick;
}

/** What a tick that sent nothing reports (its `attempts` are 0, which is what counts). */
export interface NotAsked {
  error: string;
  /** The status that asked for the pause, when it was asked in the tick's own phase (outage.ts counts a 503's pause as failed). */
  http_status?: number;
}

/**
 * SPEC 4: 429 (and 503) honour Retry-After. The pause a peer asks for is the peer's, not one
 * tick's: until it has passed (at most MAX_HOLD_MS), other ticks send that peer nothing. One tick
 * waits it out and asks (the one whose own retry it delays, or the first whose deadline reaches
 * past it); every other tick reports the sample as not asked, attempts 0, with the status that
 * asked for the pause: ticks that overlap (a timeout longer than the interval) must not all send at
 * the moment it ends, a burst of the very requests it asked to spread.
 */
export class RetryAfterHolds<K> {
  private readonly held = new Map<K, Held>();

  constructor(
    private readonly now: () => number,
    private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>,
  ) {}

  /** Before `tick` asks `key`: waits out its pause, or returns what to report when this tick may not ask. */
  async before(key: K, tick: Tick, deadline: number, signal: AbortSignal): Promise<NotAsked | undefined> {
    const held = this.held.get(key);
    if (!held) return undefined;
    const t = this.now();
    if (held.until > t) {
      if (held.until >= deadline || (held.waiter !== undefined && held.waiter !== tick)) return notAsked(held, tick, t);
      held.waiter = tick;
      await this.sleep(held.until - t, signal);
      if (signal.aborted) {
        // Stopped while waiting: another tick may wait the pause out instead.
        if (held.waiter === tick) delete held.waiter;
        return undefined;
      }
      const current = this.held.get(key);
      // Another pause was asked meanwhile (the waiting tick's own queries, or a tick that had already sent).
      if (current !== undefined && current !== held) return this.before(key, tick, deadline, signal);
    }
    if (this.held.get(key) === held) this.held.delete(key);
    return undefined;
  }

  /**
   * `key`'s pause for one request's retry loop (withRetries' `pause`). A pause the loop was asked
   * itself, and will retry after, is already in the delay before that retry (planRetry): the loop's
   * tick is the one that waits it out. Another request's pause is waited for as `before` does.
   */
  gate(key: K, tick: Tick): PauseGate {
    let own: Held | undefined;
    return {
      wait: async (deadline, signal) => {
        if (own !== undefined && this.held.get(key) === own) {
          this.held.delete(key);
          return false;
        }
        return (await this.before(key, tick, deadline, signal)) !== undefined;
      },
      note: (outcome, at, retrying) => {
        const held = this.hold(key, outcome, at, tick.phase);
        if (held && retrying) held.waiter = tick;
        own = held ?? own;
      },
    };
  }

  /** A failure that asked for a pause holds `key` until it ends (at most MAX_HOLD_MS). */
  private hold(key: K, last: RetriableOutcome, at: number, phase: Phase): Held | undefined {
    if (last.kind !== 'failed' || last.retryAfterMs === undefined) return undefined;
    const held: Held = { until: at + Math.min(last.retryAfterMs, MAX_HOLD_MS), status: last.status ?? 429, phase };
    this.held.set(key, held);
    return held;
  }
}

function notAsked(held: Held, tick: Tick, now: number): NotAsked {
  const left = `${NOT_ASKED} (${formatDuration(held.until - now)} left)`;
  if (held.phase !== tick.phase) return { error: `HTTP ${held.status} before the deploy: ${left}` };
  return { error: `HTTP ${held.status} earlier: ${left}`, http_status: held.status };
}

/** Why a request produced nothing, for `EndpointResult.error`/`http_status`/`latency_ms`. */
export function describeFailure(last: RetriableOutcome | undefined, signal: AbortSignal): { error: string; http_status?: number; latency_ms?: number } {
  if (last?.kind === 'failed') return { error: last.error, ...(last.status === undefined ? {} : { http_status: last.status }), latency_ms: last.latencyMs };
  if (last?.kind === 'aborted' || signal.aborted) return { error: 'aborted', ...(last?.kind === 'aborted' ? { latency_ms: last.latencyMs } : {}) };
  return { error: 'deadline passed before the first attempt' };
}

/** Resolves after `ms`, or at once when `signal` aborts (the caller checks the signal). */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return systemClock.sleepUntil(systemClock.now() + ms, signal);
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * Requests in flight at once, whatever the number of endpoints: 200 replicas sampled every second
 * must not open 200 sockets at a time (file descriptors, ephemeral ports, a load spike on the
 * app's own ingress). The rest wait their turn inside the same tick.
 */
export const MAX_IN_FLIGHT = 32;

/**
 * One tick over several endpoints (or queries): `run` runs for each of them, at most `limit` at a
 * time, results in the items' order. A rejected credential (AuthError) from one ends the whole
 * tick, since the others would be rejected too: they are cut short (or never started) rather than
 * waited for, and the error is thrown once the running ones have settled.
 */
export async function eachUntilAuthError<E, R>(
  items: readonly E[],
  run: (item: E, signal: AbortSignal) => Promise<R>,
  signals: readonly (AbortSignal | undefined)[],
  limit: number = MAX_IN_FLIGHT,
): Promise<R[]> {
  const tick = new AbortController();
  const signal = AbortSignal.any([tick.signal, ...signals.filter((s): s is AbortSignal => s !== undefined)]);
  // Every request in flight listens to it (its own abort, its retry wait): up to `limit` of them at
  // once is the design, not a leak, and Node's warning past 10 would reach the user's terminal.
  setMaxListeners(Math.max(10, 4 * limit), signal);
  let authError: AuthError | undefined;
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length && !authError) {
      const i = next++;
      try {
        results[i] = await run(items[i]!, signal);
      } catch (err) {
        if (!(err instanceof AuthError)) throw err;
        authError ??= err;
        tick.abort(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  if (authError) throw authError;
  return results;
}

/** Validates a duration option of a source at construction time. */
export function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`${name} must be a positive number of ms (got ${value})`);
  return value;
}
