/** Ends a run: its final state, then the verdict document built from everything stored, saved once. */
import type { VerdictReport } from '../core/types.js';
import type { RunPatch, RunRecord } from '../store/types.js';
import type { AppIO } from './io.js';
import { buildReport, type ReportOptions } from './report.js';
import { storedPhases } from './snapshots.js';

export async function concludeRun(io: Pick<AppIO, 'store' | 'shared' | 'stats'>, run: RunRecord, patch: RunPatch, opts: ReportOptions): Promise<VerdictReport> {
  const store = io.store;
  const final = { ...run, ...patch, finished_at: opts.now };
  await store.updateRun(run.id, { ...patch, finished_at: opts.now });
  // Deploys from other runners are only known to the shared store.
  const [here, shared] = await Promise.all([store.overlapping(run, opts.now), io.shared?.overlapping(run, opts.now) ?? []]);
  const concurrent = [...new Set([...here, ...shared])];
  const phases = await storedPhases(store, run.id, opts.rules);
  const started = performance.now();
  const report = buildReport(final, phases, { ...opts, concurrent });
  if (io.stats) io.stats.analysisSeconds = (performance.now() - started) / 1000;
  // A concurrent or repeated finish may have stored one first: that one stands.
  if (await store.saveVerdict(report)) return report;
  return (await store.getVerdict(run.id)) ?? report;
}
