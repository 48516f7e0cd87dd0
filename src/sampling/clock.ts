/** The wall clock, behind a port so the schedule can be driven by tests and benchmarks. */
export interface Clock {
  now(): number;
  /** Resolves at (or just after) the epoch ms given, or at once when aborted. */
  sleepUntil(epochMs: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleepUntil(epochMs, signal) {
    return new Promise((resolve) => {
      const wait = epochMs - Date.now();
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
