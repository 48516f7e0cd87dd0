/**
 * The team's shared store, seen from a run that writes locally and syncs (`--sync URL`). The run is
 * announced there as soon as it exists, so runners elsewhere see it while it is still going;
 * deploys of the same project and env that overlapped it are looked up there when it ends; and
 * once its verdict is stored locally, the run is pushed there.
 *
 * Best effort, never in the run's way, and bounded: the steps a command waits for (the overlap
 * lookup, the push, closing) share one budget (sync_timeout), counted from the first of them. Past
 * it, whatever is in flight is abandoned (its connections destroyed), later steps are skipped, and
 * the command goes on with the exit code it had. A SIGINT/SIGTERM received from the first of those
 * steps on does the same at once: the run's outcome is settled by then (its verdict is stored
 * locally first), and the user wants the command to end, not to wait on a shared store. Each
 * operation on the store also has its own deadline (store_timeout, in the store itself), so even
 * the announcement in the background ends.
 */
import { formatDuration } from '../config/duration.js';
import { withDeadline } from '../deadline.js';
import type { Interrupts } from '../runner/signals.js';
import type { RunRecord, Store } from '../store/types.js';
import { syncStores, type SyncCounts } from './sync.js';

export interface SharedPeer {
  /** Publishes the run record; returns at once (the write goes on in the background). */
  announce(run: RunRecord): void;
  /** Other runs of the run's project and env that overlapped it, as the shared store knows them (none if it does not answer in time). */
  overlapping(run: RunRecord, until: string): Promise<string[]>;
  /** Pushes one run (record, samples, verdict) from the local store; throws why it could not. */
  push(local: Store, runId: string): Promise<SyncCounts>;
  /** Ends whatever is still going, closing included, within what is left of the budget. */
  close(): Promise<void>;
}

export interface SharedPeerOptions {
  open: () => Promise<Store>;
  /** The shared store as shown to people (password masked). */
  shown: string;
  /** What the steps a command waits for may take together (sync_timeout). */
  budgetMs: number;
  /** Told once, at the first failure of the announcement or the overlap lookup; the run goes on. */
  unavailable: (err: unknown) => void;
  /** The command's interrupts: a signal while a step is waited for (or after) ends the waiting. */
  interrupts?: Pick<Interrupts, 'onSignal'>;
  now?: () => number;
}

export function sharedPeer(opts: SharedPeerOptions): SharedPeer {
  const now = opts.now ?? Date.now;
  let store: Promise<Store> | undefined;
  let told = false;
  let deadline: number | undefined;
  let unsubscribe: (() => void) | undefined;
  /** Aborted, with the reason, when waiting is over: the budget spent, or a signal. */
  const over = new AbortController();
  // Steps run in order: the overlap query must see the announcement.
  let chain: Promise<unknown> = Promise.resolve();

  /** A store that failed is dropped (closed in the background), so a later step starts afresh. */
  const drop = () => {
    const dropped = store;
    store = undefined;
    void dropped?.then((s) => s.close()).catch(() => undefined);
  };
  const stop = (reason: Error) => {
    if (!over.signal.aborted) {
      over.abort(reason);
      drop();
    }
    return over.signal.reason as Error;
  };
  const step = <T>(use: (s: Store) => Promise<T>): Promise<T> => {
    const next = chain.then(async () => {
      if (over.signal.aborted) throw over.signal.reason;
      const opened = (store ??= opts.open());
      try {
        return await use(await opened);
      } catch (err) {
        if (store === opened) drop();
        throw err;
      }
    });
    chain = next.catch(() => undefined);
    return next;
  };
  /** A step the command waits for: within what is left of the budget, which starts with the first of them, and until a signal. */
  const awaited = <T>(work: Promise<T>): Promise<T> => {
    if (deadline === undefined) {
      deadline = now() + opts.budgetMs;
      unsubscribe = opts.interrupts?.onSignal((sig) => void stop(new Error(`interrupted by ${sig}`)));
    }
    return withDeadline(work, deadline - now(), () => stop(new Error(`${opts.shown} did not answer within ${formatDuration(opts.budgetMs)} (sync_timeout)`)), over.signal);
  };
  const tell = (err: unknown) => {
    if (told) return;
    told = true;
    opts.unavailable(err);
  };

  return {
    announce(run) {
      step((s) => s.upsertRuns([run])).catch(tell);
    },
    async overlapping(run, until) {
      try {
        return await awaited(step((s) => s.overlapping(run, until)));
      } catch (err) {
        tell(err);
        return [];
      }
    },
    push(local, runId) {
      return awaited(step((s) => syncStores(local, s, [runId])));
    },
    async close() {
      // Closing too fits in the budget: past it, or at a signal, the store is dropped (its sockets destroyed in the background).
      const closing = chain.then(async () => {
        const last = store;
        store = undefined;
        await (await last?.catch(() => undefined))?.close();
      });
      await awaited(closing).catch(() => undefined);
      unsubscribe?.();
    },
  };
}
