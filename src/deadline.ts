/** Deadlines for work that depends on a remote part: a frozen peer must never hold a command. */
import { formatDuration } from './config/duration.js';

/**
 * Silence on a connection after which TCP keepalive probes start (Postgres, HTTP): a peer whose
 * host is gone (not merely frozen: a frozen process's kernel still answers probes) is noticed by
 * the kernel, and the connection fails instead of waiting for ever.
 */
export const KEEPALIVE_DELAY_MS = 10_000;

/**
 * `work`, or the error `expired()` returns once `ms` have passed, whichever comes first. `expired`
 * is where the caller ends the work itself (destroys its connection): a promise cannot be
 * cancelled, only stopped being waited for. A late failure of `work` is swallowed, never unhandled.
 * `cut`: ends the wait earlier, with its reason (another operation's deadline, a signal).
 */
export function withDeadline<T>(work: Promise<T>, ms: number, expired: () => Error, cut?: AbortSignal): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onCut: (() => void) | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(expired()), Math.max(0, ms));
    if (!cut) return;
    onCut = () => reject(cut.reason);
    if (cut.aborted) onCut();
    else cut.addEventListener('abort', onCut, { once: true });
  });
  work.catch(() => undefined);
  return Promise.race([work, late]).finally(() => {
    clearTimeout(timer);
    if (onCut) cut?.removeEventListener('abort', onCut);
  });
}

/**
 * `withDeadline` for work that `end` stops (destroying its connection, killing its process): once
 * `ms` have passed (a NoAnswerError naming `what`), and at once when `cut` aborts (an interrupt),
 * waiting stops and so does the work, instead of running on to its own timeout.
 */
export function endedAtDeadline<T>(work: Promise<T>, ms: number, what: string, end: () => void, cut?: AbortSignal): Promise<T> {
  if (cut?.aborted) end();
  cut?.addEventListener('abort', end, { once: true });
  return withDeadline(
    work,
    ms,
    () => {
      end();
      return new NoAnswerError(what, ms);
    },
    cut,
  ).finally(() => cut?.removeEventListener('abort', end));
}

/** What `withDeadline`'s `expired` returns when the peer said nothing at all (a frozen server, a stuck process). */
export class NoAnswerError extends Error {
  constructor(what: string, ms: number) {
    super(`${what}: no answer within ${formatDuration(ms)}`);
    this.name = 'NoAnswerError';
  }
}

/**
 * `request`, or the abort's reason as soon as `signal` aborts. undici fails a request aborted while
 * its connection is still being made (a TLS handshake the server never answers) only once that
 * connection is made or its connect timeout fires, up to a second after it on undici's coarse
 * timers: the attempt must not wait for it. What undici does afterwards is undici's (it drops the
 * late connection for the aborted request); a late failure is swallowed.
 */
export function untilAborted<T>(request: Promise<T>, signal: AbortSignal): Promise<T> {
  request.catch(() => undefined);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([request, aborted]).finally(() => signal.removeEventListener('abort', onAbort!));
}
