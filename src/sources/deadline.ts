/**
 * A client-side deadline for a call to a peer that may never answer. A frozen server (a stalled
 * host, a partition) keeps its socket open and says nothing: no error ever comes, so the waiting
 * must end here, and `expire` must release whatever the call holds (destroy the socket, kill the
 * process), or the abandoned call would hold it for good.
 */
export class DeadlineError extends Error {
  constructor(what: string, ms: number) {
    super(`${what}: no answer within ${ms} ms`);
    this.name = 'DeadlineError';
  }
}

export function beforeDeadline<T>(work: Promise<T>, ms: number, what: string, expire: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new DeadlineError(what, Math.round(ms)));
      expire();
    }, Math.max(0, ms));
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
