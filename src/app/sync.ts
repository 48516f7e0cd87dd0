/**
 * Pushing runs from the local store to a shared one. Idempotent by construction: client-made ids,
 * runs upserted by `updated_at`, samples and verdicts inserted with ON CONFLICT DO NOTHING, so a
 * retried or concurrent sync never duplicates a row. Writes always go in the same order (runs by
 * id, samples by run and time, verdicts), so concurrent syncs of the same data cannot deadlock.
 */
import { SeqpulseError, StoreError } from '../errors.js';
import { redactError, redactUrl } from '../redact.js';
import type { Store } from '../store/types.js';
import { ownerAlive, reapAbandoned } from './abandoned.js';

export interface SyncCounts {
  /** Runs inserted or updated in the target. */
  runs: number;
  samples: number;
  verdicts: number;
  /** Runs that were already complete in the target. */
  upToDate: number;
  /** Runs of the target (anyone's) settled as abandoned: no news of them for a day past their planned end (app/abandoned.ts). */
  settled: number;
}

const PAGE = 250;
/**
 * Pages pushed at once. A page is mostly the target's work (indexes, the foreign key, WAL); with
 * two in flight, the server works on one while this process reads and encodes the next, and a
 * Postgres with several cores inserts both at once. Pages never share a run, so they cannot wait
 * on each other's rows.
 */
const PAGES_IN_FLIGHT = 2;

/**
 * `syncStores` into the store at `target`, opened with `open` (the CLI's drivers, or the Action's)
 * and closed whatever happens. A failure past opening is reported as a sync stopped half-way.
 */
export async function syncTo(from: Store, target: string, open: (location: string) => Promise<Store>, only?: readonly string[]): Promise<SyncCounts> {
  const remote = await open(target);
  try {
    return await syncStores(from, remote, only);
  } catch (err) {
    if (err instanceof SeqpulseError && !(err instanceof StoreError)) throw err;
    // The connection went away half-way (server stopped or frozen, network cut): every page written
    // so far is committed and the local store is untouched, so the next sync simply finishes the job.
    const shown = redactUrl(target);
    const reason = redactError(err, target);
    throw new StoreError(`sync to ${shown} stopped half-way (${reason})`, err, 'Nothing local was lost and nothing pushed is duplicated: run `seqpulse sync` again once the store is back.');
  } finally {
    await remote.close().catch(() => undefined);
  }
}

/**
 * Everything in `from` that `to` lacks; or only the given runs. Then the target's runs that nobody
 * will conclude (their runners gone, their final push lost) are settled as abandoned, whoever
 * owned them: only by age, never by whose process is alive here (another host may share this one's name).
 */
export async function syncStores(from: Store, to: Store, only?: readonly string[]): Promise<SyncCounts> {
  const counts = await pushAll(from, to, only);
  counts.settled = (await reapAbandoned(to, undefined, ownerAlive, Date.now())).length;
  return counts;
}

async function pushAll(from: Store, to: Store, only?: readonly string[]): Promise<SyncCounts> {
  const counts: SyncCounts = { runs: 0, samples: 0, verdicts: 0, upToDate: 0, settled: 0 };
  if (only) {
    const runs = [];
    for (const id of only) {
      const run = await from.getRun(id);
      if (run) runs.push(run);
    }
    await pushRuns(from, to, runs.sort((a, b) => (a.id < b.id ? -1 : 1)), counts);
    return counts;
  }
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  let after: string | null = null;
  while (!failure) {
    const page = await from.pageRuns(after, PAGE);
    if (page.length === 0) break;
    after = page[page.length - 1]!.id;
    const push: Promise<void> = pushRuns(from, to, page, counts)
      .catch((error: unknown) => void (failure ??= { error }))
      .finally(() => inFlight.delete(push));
    inFlight.add(push);
    if (inFlight.size >= PAGES_IN_FLIGHT) await Promise.race(inFlight);
  }
  // Every page started is finished (or failed) before returning: nothing keeps writing behind the caller's back.
  await Promise.all(inFlight);
  if (failure) throw failure.error;
  return counts;
}

/** Samples per bulk write: each write is one operation of the target, well inside its deadline. */
const SAMPLES_PER_WRITE = 50_000;

/**
 * One page of runs, in bulk: the runs the target lacks or has older, together with the verdicts it
 * lacks (one transaction, so a run copied with a final status always lands with its verdict), then
 * every missing sample of the page in a few large writes.
 */
async function pushRuns(from: Store, to: Store, runs: Awaited<ReturnType<Store['pageRuns']>>, counts: SyncCounts): Promise<void> {
  const ids = runs.map((r) => r.id);
  const [local, remote] = await Promise.all([from.syncState(ids), to.syncState(ids)]);
  const runsBehind = [];
  const samplesBehind: string[][] = [];
  let batch = { ids: [] as string[], samples: 0 };
  const verdictsBehind: string[] = [];
  for (const run of runs) {
    const mine = local.get(run.id)!;
    const theirs = remote.get(run.id);
    let behind = false;
    if (!theirs || theirs.updated_at < run.updated_at) {
      runsBehind.push(run);
      behind = true;
    }
    if ((theirs?.samples ?? 0) < mine.samples) {
      if (batch.ids.length > 0 && batch.samples + mine.samples > SAMPLES_PER_WRITE) {
        samplesBehind.push(batch.ids);
        batch = { ids: [], samples: 0 };
      }
      batch.ids.push(run.id);
      batch.samples += mine.samples;
      counts.samples += mine.samples - (theirs?.samples ?? 0);
      behind = true;
    }
    if (mine.verdict && !theirs?.verdict) {
      verdictsBehind.push(run.id);
      behind = true;
    }
    if (!behind) counts.upToDate++;
  }
  if (batch.ids.length > 0) samplesBehind.push(batch.ids);
  const verdicts = verdictsBehind.length > 0 ? await from.verdictRowsOf(verdictsBehind) : [];
  // Awaited first: `counts.verdicts += await ...` reads the count before the wait, and two pages in
  // flight then each wrote back their own sum, the other's verdicts lost from the total.
  const added = await to.upsertRuns(runsBehind, verdicts);
  counts.verdicts += added;
  counts.runs += runsBehind.length;
  for (const group of samplesBehind) await to.addSampleRows(await from.sampleRowsOf(group));
}
