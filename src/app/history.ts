/**
 * Earlier good runs of the same project and env ("good" = finished with an `ok` verdict), read
 * from the store: as extra baseline evidence for every verdict (how far each metric moves from
 * PRE to POST when nothing is wrong), and as the whole baseline with `--baseline history` (their
 * POST samples, for when PRE is short or noisy).
 */
import type { MetricSnapshot, Rules } from '../core/types.js';
import type { Store } from '../store/types.js';
import type { HistoryBaseline } from './report.js';
import { snapshotsFromSamples } from './snapshots.js';

export interface HealthyRuns {
  /** Ids, newest first. */
  runs: string[];
  windows: { pre: MetricSnapshot[]; post: MetricSnapshot[] }[];
}

export async function recentHealthyRuns(store: Store, run: { id: string; project: string; env: string }, count: number, rules: Rules): Promise<HealthyRuns> {
  const candidates = await store.listRuns({ project: run.project, env: run.env, verdict: 'ok', limit: count + 1 });
  const runs = candidates.filter((r) => r.id !== run.id && r.status === 'finished').slice(0, count);
  const windows = [];
  for (const r of runs) {
    const { pre, post } = snapshotsFromSamples(await store.getSamples(r.id), rules);
    windows.push({ pre, post });
  }
  return { runs: runs.map((r) => r.id), windows };
}

/** `--baseline history`: the POST samples of those runs, compared instead of this run's PRE. */
export function historyBaseline(healthy: HealthyRuns): HistoryBaseline {
  return { runs: healthy.runs, snapshots: healthy.windows.flatMap((w) => w.post) };
}
