/**
 * The team's shared store, seen from a run that writes locally and syncs (`--sync URL`). The run is
 * announced there as soon as it exists, so runners elsewhere see it while it is still going, and
 * deploys of the same project and env that overlapped it are looked up there when it ends. Best
 * effort, never in the run's way: the first failure is one warning, and later steps are skipped.
 */
import type { RunRecord, Store } from '../store/types.js';

export interface SharedPeer {
  /** Publishes the run record; returns at once (the write goes on in the background). */
  announce(run: RunRecord): void;
  /** Other runs of the run's project and env that overlapped it, as the shared store knows them. */
  overlapping(run: RunRecord, until: string): Promise<string[]>;
  close(): Promise<void>;
}

export function sharedPeer(open: () => Promise<Store>, warn: (err: unknown) => void): SharedPeer {
  let store: Promise<Store> | undefined;
  let failed = false;
  // Steps run in order: the overlap query must see the announcement.
  let chain: Promise<unknown> = Promise.resolve();
  const step = <T>(use: (s: Store) => Promise<T>, fallback: T): Promise<T> => {
    const next = chain.then(async () => {
      if (failed) return fallback;
      try {
        return await use(await (store ??= open()));
      } catch (err) {
        failed = true;
        warn(err);
        return fallback;
      }
    });
    chain = next;
    return next;
  };
  return {
    announce(run) {
      void step((s) => s.upsertRuns([run]), undefined);
    },
    overlapping(run, until) {
      return step((s) => s.overlapping(run, until), []);
    },
    async close() {
      await chain;
      await (await store?.catch(() => undefined))?.close();
    },
  };
}
