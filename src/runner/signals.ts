/**
 * SIGINT/SIGTERM/SIGHUP while a run is in progress: remembered (the run is stored as interrupted),
 * turned into an AbortSignal for sampling, and passed on to whoever listens (the deploy command).
 * A hangup (the terminal or SSH session went away) is one too: left to its default, it ended
 * seqpulse at once, with nothing stored and the deploy, in a process group of its own, running on.
 */
import type { StopSignal } from '../core/types.js';

export type { StopSignal };

const STOP_SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export interface Interrupts {
  /** Aborted on the first SIGINT/SIGTERM/SIGHUP. */
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
  const handlers = STOP_SIGNALS.map((sig) => [sig, () => handle(sig)] as const);
  for (const [sig, handler] of handlers) proc.on(sig, handler);
  return {
    signal: controller.signal,
    received: () => first,
    onSignal(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    dispose() {
      for (const [sig, handler] of handlers) proc.off(sig, handler);
      listeners.clear();
    },
  };
}
