/**
 * Earlier good runs of the same project and env ("good" = finished with an `ok` verdict), read
 * from the store: as extra baseline evidence for every verdict (how far each metric moves from
 * PRE to POST when nothing is wrong), and as the whole baseline with `--baseline history` (their
 * POST samples, for when PRE is short or noisy).
 */
import type { MetricSnapshot, Rules } from '../core/types.js';
import { UnreadableRowError } from '../store/stored-rows.js';
import type { Store } from '../store/types.js';
import type { HistoryBaseline } from './report.js';
import { snapshotsFromSamples } from './snapshots.js';

export interface HealthyRuns {
  /** Ids, newest first. */
  runs: string[];
  windows: { pre: MetricSnapshot[]; post: MetricSnapshot[] }[];
  /** Runs left out: the store holds samples of them seqpulse cannot read (written by something else). */
  unreadable: { id: string; reason: string }[];
}

export async function recentHealthyRuns(store: Store, run: { id: string; project: string; env: string }, count: number, rules: Rules): Promise<HealthyRuns> {
  const healthy: HealthyRuns = { runs: [], windows: [], unreadable: [] };
  let candidates;
  try {
    candidates = await store.listRuns({ project: run.project, env: run.env, verdict: 'ok', limit: count + 1 });
  } catch (err) {
    // One of them unreadable: which are healthy cannot be told, so none is compared with.
    if (!(err instanceof UnreadableRowError)) throw err;
    healthy.unreadable.push({ id: '', reason: err.message });
    return healthy;
  }
  for (const r of candidates.filter((c) => c.id !== run.id && c.status === 'finished').slice(0, count)) {
    let samples;
    try {
      samples = await store.getSamples(r.id);
    } catch (err) {
      // Evidence, not the run's own data: one unreadable earlier run (in a shared store anyone writes)
      // ended every later deploy of its project and env without a verdict (exit 3).
      if (!(err instanceof UnreadableRowError)) throw err;
      healthy.unreadable.push({ id: r.id, reason: err.message });
      continue;
    }
    const { pre, post } = snapshotsFromSamples(samples, rules);
    healthy.runs.push(r.id);
    healthy.windows.push({ pre, post });
  }
  return healthy;
}

/** The warning for earlier runs left out of the comparison (HealthyRuns.unreadable); undefined when none was. */
export function unreadableHealthyRuns(healthy: HealthyRuns): string | undefined {
  if (healthy.unreadable.length === 0) return undefined;
  return `Earlier ok run(s) left out of the comparison with this one: ${healthy.unreadable.map((u) => u.reason).join('; ')}.`;
}

/** `--baseline history`: the POST samples of those runs, compared instead of this run's PRE. */
export function historyBaseline(healthy: HealthyRuns): HistoryBaseline {
  return { runs: healthy.runs, snapshots: healthy.windows.flatMap((w) => w.post) };
}
