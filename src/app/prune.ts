/**
 * Retention: every run created before a time, with its samples and verdicts, deleted a batch at a
 * time. Each batch is one operation of the store, with its own deadline (store_timeout on Postgres,
 * the busy timeout on SQLite) and its own short transaction: a sweep of a large store takes as
 * long as it takes, and never holds the store's write lock for long. It used to be one operation
 * whose deadline covered the whole sweep: on a healthy Postgres a long one failed half-way as "did
 * not answer within store_timeout".
 */
import { StoreError } from '../errors.js';
import { RowsKeptError } from '../store/kysely-store.js';
import type { Store } from '../store/types.js';

const BATCH = 500;

export async function pruneBefore(store: Store, before: string, where: string, batch = BATCH): Promise<{ runs: number; samples: number }> {
  const deleted = { runs: 0, samples: 0 };
  for (;;) {
    let step;
    try {
      step = await store.pruneBatch(before, batch);
    } catch (err) {
      if (!(err instanceof RowsKeptError)) throw err;
      const earlier = deleted.runs > 0 ? ` (the ${deleted.runs} runs deleted before it stay deleted)` : '';
      throw new StoreError(
        `store ${where} ${err.message}: something in it (a trigger or rule on its runs table) refuses to delete them; nothing of that batch was deleted${earlier}`,
        err,
        'Look for triggers or rules on the runs, samples and verdicts tables of that store: seqpulse never makes any.',
      );
    }
    deleted.runs += step.runs;
    deleted.samples += step.samples;
    if (step.done) return deleted;
  }
}
