/** Ends a run: the verdict document built from everything stored, saved with the run's final state in one transaction. */
import type { VerdictReport } from '../core/types.js';
import type { FinalPatch, RunRecord } from '../store/types.js';
import type { AppIO } from './io.js';
import { buildReport, settleSamples, type ReportOptions } from './report.js';
import { storedPhases } from './snapshots.js';

export async function concludeRun(io: Pick<AppIO, 'store' | 'shared' | 'stats'>, run: RunRecord, patch: Omit<FinalPatch, 'finished_at'>, opts: ReportOptions): Promise<VerdictReport> {
  const store = io.store;
  const final: FinalPatch = { ...patch, finished_at: opts.now };
  // Only a judged verdict mentions overlapping deploys: an interrupted run or a failed deploy ends
  // without asking anyone. Deploys from other runners are only known to the shared store, which
  // answers within --sync's deadline or not at all (shared.ts).
  const concurrent = opts.outcome ? [] : await overlappingRuns(io, run, opts.now);
  const phases = await storedPhases(store, run.id, opts.rules, settleSamples(run.settings));
  const started = performance.now();
  const report = buildReport({ ...run, ...final }, phases, { ...opts, concurrent });
  if (io.stats) io.stats.analysisSeconds = (performance.now() - started) / 1000;
  // Status and verdict together: a run is never `finished` without its verdict. A concurrent or
  // repeated finish may have stored one first: that one stands.
  if (await store.conclude(run.id, final, report)) return report;
  return (await store.getVerdict(run.id)) ?? report;
}

async function overlappingRuns(io: Pick<AppIO, 'store' | 'shared'>, run: RunRecord, until: string): Promise<string[]> {
  const [here, shared] = await Promise.all([io.store.overlapping(run, until), io.shared?.overlapping(run, until) ?? []]);
  return [...new Set([...here, ...shared])];
}
