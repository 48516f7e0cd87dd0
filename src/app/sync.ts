/**
 * Pushing runs from the local store to a shared one. Idempotent by construction: client-made ids,
 * runs upserted by `updated_at`, samples and verdicts inserted with ON CONFLICT DO NOTHING, so a
 * retried or concurrent sync never duplicates a row. Writes always go in the same order (runs by
 * id, samples by run and time, verdicts), so concurrent syncs of the same data cannot deadlock.
 *
 * The target has other writers, so a run there under a local run's id may not be that run: another
 * project, another verdict, other samples (a tool or person writing to the shared store, a copied
 * store). Such a conflict is never resolved by either side's rows: nothing of the run is pushed,
 * nothing local changes, and the run is reported (SyncCounts.conflicts), never counted up to date.
 */
import { SeqpulseError, StoreError } from '../errors.js';
import { redactError, redactUrl } from '../redact.js';
import { storableText } from '../store/kysely-store.js';
import type { SampleRow, Store, SyncState } from '../store/types.js';
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
  /** Local runs the target holds as another run under the same id: neither side changed. In id order. */
  conflicts: SyncConflict[];
}

/** A run the target holds with other content; `differs` names what (SyncDifference). */
export interface SyncConflict {
  id: string;
  differs: SyncDifference[];
}

/**
 * What makes the target's copy another run: what is fixed when a run is made (its project, env,
 * creation time, deploy command), a verdict other than this one (a run has one, written once), or
 * a sample other than this one at one of its ticks. Everything else of a run may differ and be the
 * same run: its status, update time and deploy outcome move on (the target may be behind, or have
 * settled the run as abandoned); the target may lack the verdict or samples (a sync cut off, an
 * announcement) or have more (a `finish` that wrote there directly).
 */
export type SyncDifference = 'project' | 'env' | 'created_at' | 'command' | 'verdict' | 'samples';

/** Conflicts named in the warning; the rest are counted. */
const CONFLICTS_NAMED = 5;

/** The warning for runs the target holds as other runs under the same ids (SyncDifference). */
export function conflictMessage(shown: string, conflicts: readonly SyncConflict[]): string {
  const named = conflicts.slice(0, CONFLICTS_NAMED).map((c) => `${c.id} (${c.differs.map((d) => DIFFERENCE_SHOWN[d]).join(', ')})`);
  const more = conflicts.length > CONFLICTS_NAMED ? ` and ${conflicts.length - CONFLICTS_NAMED} more` : '';
  return (
    `${conflicts.length} local run(s) held in ${shown} as other runs under the same ids: ${named.join(', ')}${more}. ` +
    'Neither copy was changed. Something other than this seqpulse wrote those ids there (a script, a copied store): compare with `seqpulse show <id>` and `seqpulse show <id> --store <target>`, and remove the wrong copy.'
  );
}

const DIFFERENCE_SHOWN: Record<SyncDifference, string> = {
  project: 'another project',
  env: 'another env',
  created_at: 'another creation time',
  command: 'another deploy command',
  verdict: 'another verdict',
  samples: 'other samples',
};

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
  const counts: SyncCounts = { runs: 0, samples: 0, verdicts: 0, upToDate: 0, settled: 0, conflicts: [] };
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
  counts.conflicts.sort((a, b) => (a.id < b.id ? -1 : 1));
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
  const clashing = await clashingSamples(from, to, ids.filter((id) => samplesInDoubt(local.get(id)!, remote.get(id))));
  const runsBehind = [];
  const samplesBehind: string[][] = [];
  let batch = { ids: [] as string[], samples: 0 };
  const verdictsBehind: string[] = [];
  for (const run of runs) {
    const mine = local.get(run.id)!;
    const theirs = remote.get(run.id);
    const differs = theirs ? differences(mine, theirs, clashing.has(run.id)) : [];
    if (differs.length > 0) {
      counts.conflicts.push({ id: run.id, differs });
      continue;
    }
    let behind = false;
    // A target that concluded the run (its verdict) while this copy has not is ahead, however new
    // this one's update time: pushed, its open status would stand beside that verdict.
    const concludedThere = theirs?.verdict != null && mine.verdict === null;
    if (!theirs || (theirs.updated_at < run.updated_at && !concludedThere)) {
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
    if (mine.verdict !== null && theirs?.verdict == null) {
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

/** `differs` of a run the target holds (SyncDifference); none when it is the same run. */
function differences(mine: SyncState, theirs: SyncState, samplesClash: boolean): SyncDifference[] {
  const differs: SyncDifference[] = (['project', 'env', 'created_at'] as const).filter((key) => storableText(mine[key]) !== storableText(theirs[key]));
  if (canonicalJson(mine.command) !== canonicalJson(theirs.command)) differs.push('command');
  if (mine.verdict !== null && theirs.verdict !== null && mine.verdict !== theirs.verdict) differs.push('verdict');
  if (samplesClash) differs.push('samples');
  return differs;
}

/** JSON text as this seqpulse writes it (the target's copy was written from the parsed local one). */
function canonicalJson(text: string | null): string | null {
  if (text === null) return null;
  try {
    return storableText(JSON.stringify(JSON.parse(text)));
  } catch {
    return storableText(text);
  }
}

/**
 * Whether the counts and first and last ids leave open that the target holds other samples at
 * this run's ticks. The same count and ids: the same samples (ids are random UUIDs, made once per
 * sample). A target without samples of the run holds none that could clash.
 */
function samplesInDoubt(mine: SyncState, theirs: SyncState | undefined): boolean {
  if (!theirs || theirs.samples === 0 || mine.samples === 0) return false;
  const [a, b] = [mine.sample_ids, theirs.sample_ids];
  return !(mine.samples === theirs.samples && a !== null && b !== null && storableText(a.first) === storableText(b.first) && storableText(a.last) === storableText(b.last));
}

/**
 * Of the runs given, those of which the target holds another sample (another id) at a tick this
 * store has a sample for: pushed, it would be skipped as already there. Samples the target holds at
 * other ticks are not a clash. Only runs in doubt are read sample by sample (a run announced
 * half-way, a sync cut off), so a repeated sync stays a few aggregates per run.
 */
async function clashingSamples(from: Store, to: Store, ids: string[]): Promise<Set<string>> {
  const clashing = new Set<string>();
  if (ids.length === 0) return clashing;
  const key = (r: SampleRow) => JSON.stringify([r.run_id, r.phase, r.seq, storableText(r.endpoint)]);
  const [mine, theirs] = await Promise.all([from.sampleRowsOf(ids), to.sampleRowsOf(ids)]);
  const there = new Map(theirs.map((r) => [key(r), storableText(r.id)]));
  for (const r of mine) {
    const id = there.get(key(r));
    if (id !== undefined && id !== storableText(r.id)) clashing.add(r.run_id);
  }
  return clashing;
}
