/**
 * Retention: every run created before a time, with its samples and verdicts, deleted a batch at a
 * time. Each batch is one operation of the store, with its own deadline (store_timeout on Postgres,
 * the busy timeout on SQLite) and its own short transaction: a sweep of a large store takes as
 * long as it takes, and never holds the store's write lock for long. It used to be one operation
 * whose deadline covered the whole sweep: on a healthy Postgres a long one failed half-way as "did
 * not answer within store_timeout". Only runs whose created_at is a time as seqpulse writes it
 * are deleted: the others are kept and named (Store.runsOfUnknownAge).
 */
import { StoreError } from '../errors.js';
import { RowsKeptError } from '../store/kysely-store.js';
import type { Store } from '../store/types.js';
import { forDisplay } from '../output/terminal.js';

const BATCH = 500;

/** Runs of unknown age (Store.runsOfUnknownAge) listed in the result; the rest are counted. */
const UNKNOWN_AGE_LISTED = 1000;

export interface Pruned {
  runs: number;
  samples: number;
  /** Runs never deleted because their age cannot be told (Store.runsOfUnknownAge): how many, and the first by id. */
  unknownAge: { total: number; runs: { id: string; created_at: string }[] };
}

export async function pruneBefore(store: Store, before: string, where: string, batch = BATCH): Promise<Pruned> {
  const deleted = await sweep(store, before, where, batch);
  // Said after the sweep, which never touches them: a run whose created_at another tool wrote as
  // 2026-1-5, with an offset or as a number compared as text as anything but its age, and a run
  // made within the retention period was deleted (or an old one kept).
  return { ...deleted, unknownAge: await store.runsOfUnknownAge(UNKNOWN_AGE_LISTED) };
}

/** What `prune` says of runs whose age cannot be told (Pruned.unknownAge), naming the first few. */
export function unknownAgeMessage(where: string, unknown: Pruned['unknownAge']): string {
  const named = unknown.runs.slice(0, 5).map((r) => `${forDisplay(r.id, 40)} (${forDisplay(JSON.stringify(r.created_at), 40)})`);
  const more = unknown.total > named.length ? ` and ${unknown.total - named.length} more` : '';
  return (
    `store ${where}: ${unknown.total} run(s) kept whatever their age, as their created_at is not a time as seqpulse writes it (UTC, 2026-01-18T12:00:00.000Z): ${named.join(', ')}${more}. ` +
    'Something else wrote them: correct their created_at to that form, or delete them by hand if they are past retention.'
  );
}

async function sweep(store: Store, before: string, where: string, batch: number): Promise<{ runs: number; samples: number }> {
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
