/**
 * The history baseline (`--baseline history`): the POST samples of the last good runs of the same
 * project and env, for when PRE is short or noisy. "Good" = finished with an `ok` verdict.
 */
import type { Rules } from '../core/types.js';
import type { Store } from '../store/types.js';
import type { HistoryBaseline } from './report.js';
import { snapshotsFromSamples } from './snapshots.js';

export async function historyBaseline(store: Store, run: { id: string; project: string; env: string }, count: number, rules: Rules): Promise<HistoryBaseline> {
  const candidates = await store.listRuns({ project: run.project, env: run.env, verdict: 'ok', limit: count + 1 });
  const runs = candidates.filter((r) => r.id !== run.id && r.status === 'finished').slice(0, count);
  const snapshots = [];
  for (const r of runs) snapshots.push(...snapshotsFromSamples(await store.getSamples(r.id), rules).post);
  return { runs: runs.map((r) => r.id), snapshots };
}
