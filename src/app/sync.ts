/**
 * Pushing runs from the local store to a shared one. Idempotent by construction: client-made ids,
 * runs upserted by `updated_at`, samples and verdicts inserted with ON CONFLICT DO NOTHING, so a
 * retried or concurrent sync never duplicates a row. Writes always go in the same order (run,
 * samples in stored order, verdict), so concurrent syncs of the same data cannot deadlock.
 */
import type { Store } from '../store/types.js';

export interface SyncCounts {
  /** Runs inserted or updated in the target. */
  runs: number;
  samples: number;
  verdicts: number;
  /** Runs that were already complete in the target. */
  upToDate: number;
}

const PAGE = 500;

/** Everything in `from` that `to` lacks; or only the given runs. */
export async function syncStores(from: Store, to: Store, only?: readonly string[]): Promise<SyncCounts> {
  const counts: SyncCounts = { runs: 0, samples: 0, verdicts: 0, upToDate: 0 };
  if (only) {
    for (const id of only) {
      const run = await from.getRun(id);
      if (run) await pushRuns(from, to, [run], counts);
    }
    return counts;
  }
  let after: string | null = null;
  for (;;) {
    const page = await from.pageRuns(after, PAGE);
    if (page.length === 0) break;
    await pushRuns(from, to, page, counts);
    after = page[page.length - 1]!.id;
  }
  return counts;
}

async function pushRuns(from: Store, to: Store, runs: Awaited<ReturnType<Store['pageRuns']>>, counts: SyncCounts): Promise<void> {
  const ids = runs.map((r) => r.id);
  const [local, remote] = await Promise.all([from.syncState(ids), to.syncState(ids)]);
  for (const run of runs) {
    const mine = local.get(run.id)!;
    const theirs = remote.get(run.id);
    const runBehind = !theirs || theirs.updated_at < run.updated_at;
    const samplesBehind = (theirs?.samples ?? 0) < mine.samples;
    const verdictBehind = mine.verdict && !theirs?.verdict;
    if (!runBehind && !samplesBehind && !verdictBehind) {
      counts.upToDate++;
      continue;
    }
    if (runBehind) {
      await to.upsertRun(run);
      counts.runs++;
    }
    if (samplesBehind) {
      await to.addSamples(await from.getSamples(run.id));
      counts.samples += mine.samples - (theirs?.samples ?? 0);
    }
    if (verdictBehind) {
      const report = await from.getVerdict(run.id);
      if (report && (await to.saveVerdict(report))) counts.verdicts++;
    }
  }
}
