/** Ends a run: its final state, then the verdict document built from everything stored, saved once. */
import type { VerdictReport } from '../core/types.js';
import type { RunPatch, RunRecord, Store } from '../store/types.js';
import { buildReport, type ReportOptions } from './report.js';

export async function concludeRun(store: Store, run: RunRecord, patch: RunPatch, opts: ReportOptions): Promise<VerdictReport> {
  const final = { ...run, ...patch, finished_at: opts.now };
  await store.updateRun(run.id, { ...patch, finished_at: opts.now });
  const concurrent = await store.overlapping(run, opts.now);
  const report = buildReport(final, await store.getSamples(run.id), { ...opts, concurrent });
  // A concurrent or repeated finish may have stored one first: that one stands.
  if (await store.saveVerdict(report)) return report;
  return (await store.getVerdict(run.id)) ?? report;
}
