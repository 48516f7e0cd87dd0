/**
 * SIGINT/SIGTERM while a run is in progress: remembered (the run is stored as interrupted), turned
 * into an AbortSignal for sampling, and passed on to whoever listens (the deploy command).
 */
export type StopSignal = 'SIGINT' | 'SIGTERM';

export interface Interrupts {
  /** Aborted on the first SIGINT/SIGTERM. */
  readonly signal: AbortSignal;
  /** The first signal received, if any. */
  received(): StopSignal | null;
  /** Called on every signal received (a second Ctrl-C too). Returns an unsubscribe function. */
  onSignal(listener: (sig: StopSignal, count: number) => void): () => void;
  dispose(): void;
}

export function watchInterrupts(proc: NodeJS.Process = process): Interrupts {
  const controller = new AbortController();
  const listeners = new Set<(sig: StopSignal, count: number) => void>();
  let first: StopSignal | null = null;
  let count = 0;
  const handle = (sig: StopSignal) => {
    count++;
    first ??= sig;
    if (!controller.signal.aborted) controller.abort(new Error(`interrupted by ${sig}`));
    for (const listener of listeners) listener(sig, count);
  };
  const onInt = () => handle('SIGINT');
  const onTerm = () => handle('SIGTERM');
  proc.on('SIGINT', onInt);
  proc.on('SIGTERM', onTerm);
  return {
    signal: controller.signal,
    received: () => first,
    onSignal(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    dispose() {
      proc.off('SIGINT', onInt);
      proc.off('SIGTERM', onTerm);
      listeners.clear();
    },
  };
}
