/** The clock schedules and deadlines run on, behind a port so the schedule can be driven by tests and benchmarks. */
export interface Clock {
  now(): number;
  /** Resolves at (or just after) the epoch ms given, or at once when aborted. */
  sleepUntil(epochMs: number, signal?: AbortSignal): Promise<void>;
}

/**
 * Epoch ms on a clock that never steps: the wall clock when the process started, plus the
 * monotonic time since (what timers run on). Schedules and deadlines are read on it: an NTP step
 * or a VM resume moves Date.now() by seconds or hours, and on the wall clock a step back of a
 * minute held a run for that minute, one forward turned healthy ticks into "deadline passed".
 * A signature's timestamp, which the receiver checks against its own clock, stays on the wall clock.
 */
export function steadyNow(): number {
  // Whole milliseconds, as Date.now(): a time written as ISO 8601 and read back is the same time.
  return Math.floor(performance.timeOrigin + performance.now());
}

export const systemClock: Clock = {
  now: steadyNow,
  sleepUntil(epochMs, signal) {
    return new Promise((resolve) => {
      const wait = epochMs - steadyNow();
      if (wait <= 0 || signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, wait);
      signal?.addEventListener('abort', done, { once: true });
    });
  },
};
